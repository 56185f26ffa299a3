import { BUDGET_SHARE, SLACK_LIMITS } from '../../src/out/slack-limits.js';
import type { BotProcess } from '../../standins/processes.js';
import { answerOfWords, MARKER, type MentionSent, mention } from './answers.js';
import type { BenchContext, Fleet } from './procs.js';
import { perMethod, type Section } from './section.js';
import { channelOf, isWrite, threadOutcome } from './slack-calls.js';
import { num, type Row, sleep } from './stats.js';

/**
 * Sustained background answers per minute for one workspace: Slack's limits on in the stand-in at
 * their real per-minute rates (no time scaling), the bot's shared budget at SLACK_BUDGET_SCALE=1,
 * and `@bot later …` mentions offered above what the limits allow, for minutes. What the fleet
 * answers is then bound by the Slack method that runs out first; the table in
 * src/out/slack-limits.ts predicts that ceiling from the writes each answer makes.
 */

const DONE_EMOJI = 'white_check_mark';

export interface SustainedResult {
  workers: number;
  offered: number;
  /** Answers finished per minute after the first minute (the buckets' initial burst spent). */
  perMinute: number;
  answered: number;
  limited: number;
  limitedByMethod: Record<string, number>;
  writesPerAnswer: number;
  /** The answers writes were counted over (those whose badge settled). */
  settled: number;
  writesByMethod: Record<string, number>;
  predicted: { perMinute: number; method: string } | undefined;
}

/** Answers a minute the budget allows: the tightest method, given each method's writes per answer. */
export const predictCeiling = (
  writesByMethod: Record<string, number>,
): { perMinute: number; method: string } | undefined => {
  let best: { perMinute: number; method: string } | undefined;
  for (const [method, perAnswer] of Object.entries(writesByMethod)) {
    const limit = SLACK_LIMITS[method];
    // chat.postMessage is limited per channel, and each request here has its own channel.
    if (!limit || limit.perChannel || perAnswer <= 0) continue;
    const perMinute = (limit.perMinute * BUDGET_SHARE) / perAnswer;
    if (!best || perMinute < best.perMinute) best = { perMinute, method };
  }
  return best;
};

export const benchSustained = async (
  ctx: BenchContext,
  fleet: Fleet,
  opts: { workers: number; minutes: number; ratePerMinute: number },
): Promise<SustainedResult> => {
  const prefix = `bench-sustained${opts.workers}`;
  const phase = `sustained, ${opts.workers} worker${opts.workers > 1 ? 's' : ''}`;
  // Jobs still waiting for their budget when the run ends are handed back at once (the backlog
  // is what the run left, not something to finish).
  const real = { SLACK_BUDGET_SCALE: '1', SHUTDOWN_TIMEOUT_MS: '3000' };
  ctx.openai.configure({ ttftMs: 0, tokensPerSecond: Number.POSITIVE_INFINITY, text: answerOfWords(40) });
  ctx.slack.setRateLimits(true);
  const procs: BotProcess[] = [];
  try {
    const web = await fleet.startBot('web', phase, prefix, real);
    procs.push(web);
    procs.push(
      ...(await Promise.all(
        Array.from({ length: opts.workers }, () => fleet.startBot('worker', phase, prefix, real)),
      )),
    );
    ctx.slack.setRateLimits(true); // full buckets at the start of the load
    const from = ctx.slack.calls().length;
    const start = Date.now();
    const end = start + opts.minutes * 60_000;
    const steadyFrom = start + 60_000;
    const sent: MentionSent[] = [];
    const answeredAt = new Map<string, number>();
    const gapMs = 60_000 / opts.ratePerMinute;
    const offer = (async () => {
      for (let i = 0; Date.now() < end; i++) {
        const due = start + i * gapMs;
        if (due > Date.now()) await sleep(due - Date.now());
        if (Date.now() >= end) break;
        sent.push(await mention(ctx, web.url, `later what changed in the plan? (${i})`));
      }
    })();
    while (Date.now() < end) {
      await sleep(1_000);
      for (const m of sent)
        if (!answeredAt.has(m.ts) && threadOutcome(ctx.slack, m.channel, m.ts, MARKER) === 'answered')
          answeredAt.set(m.ts, Date.now());
    }
    await offer;
    const calls = ctx.slack.calls().slice(from);
    const limitedByMethod: Record<string, number> = {};
    for (const c of calls.filter((c) => c.status === 429))
      limitedByMethod[c.method] = (limitedByMethod[c.method] ?? 0) + 1;
    // Writes of the answered requests whose badge has settled on ✅ (an answer's last badge switch
    // may still be waiting for its budget): everything they had, badges, notes, status, the answer.
    const answered = sent.filter((m) => answeredAt.has(m.ts));
    const settled = answered.filter((m) => ctx.slack.reactions(m.channel, m.ts).join() === DONE_EMOJI);
    const counted = settled.length > 0 ? settled : answered;
    const channels = new Set(counted.map((m) => m.channel));
    const writesByMethod: Record<string, number> = {};
    for (const c of calls)
      if (isWrite(c.method) && c.status === 200 && channels.has(channelOf(c)))
        writesByMethod[c.method] = (writesByMethod[c.method] ?? 0) + 1;
    const n = Math.max(1, counted.length);
    for (const k of Object.keys(writesByMethod)) writesByMethod[k] = (writesByMethod[k] ?? 0) / n;
    const steady = [...answeredAt.values()].filter((t) => t >= steadyFrom).length;
    return {
      workers: opts.workers,
      offered: sent.length,
      perMinute: steady / ((end - steadyFrom) / 60_000),
      answered: answered.length,
      limited: calls.filter((c) => c.status === 429).length,
      limitedByMethod,
      writesPerAnswer: Object.values(writesByMethod).reduce((a, b) => a + b, 0),
      settled: counted.length,
      writesByMethod,
      predicted: predictCeiling(writesByMethod),
    };
  } finally {
    ctx.slack.setRateLimits(false);
    await Promise.allSettled(procs.map((p) => fleet.stop(p)));
  }
};

const SECTION = 'Sustained background answers (one workspace)';

export const sustainedSection: Section = {
  key: 'sustained',
  name: SECTION,
  run: async ({ ctx, fleet, opts }) => {
    const rows: Row[] = [];
    for (const workers of [1, 4]) {
      const r = await benchSustained(ctx, fleet, {
        workers,
        minutes: opts.sustainedMinutes,
        ratePerMinute: opts.sustainedRate,
      });
      const predicted = r.predicted
        ? `${num(r.predicted.perMinute, 1)}/min (${r.predicted.method})`
        : 'no limited method';
      rows.push(
        {
          section: SECTION,
          figure: `answers/min, 1 web + ${workers} worker${workers > 1 ? 's' : ''}: measured vs predicted`,
          value: `${num(r.perMinute, 1)} vs ${predicted}`,
          aim: 'measured ≈ predicted, the same for 1 and 4 workers',
          how: `${r.offered} \`@bot later\` offered over ${opts.sustainedMinutes} min at ${opts.sustainedRate}/min, ${r.answered} answered in that time; measured after minute 1; Slack's limits on at real rates; prediction: ${Math.round(BUDGET_SHARE * 100)} % of the tightest method's rate (src/out/slack-limits.ts) ÷ its writes per answer`,
        },
        {
          section: SECTION,
          figure: `429s received, 1 web + ${workers} worker${workers > 1 ? 's' : ''}`,
          value: String(r.limited),
          aim: '0',
          how: r.limited ? perMethod(r.limitedByMethod, 0) : 'none',
        },
        {
          section: SECTION,
          figure: `Slack writes per background answer, 1 web + ${workers} worker${workers > 1 ? 's' : ''}`,
          value: num(r.writesPerAnswer, 1),
          aim: '≤ 4',
          how: `${perMethod(r.writesByMethod, 1)}; over the ${r.settled} answers whose badge had settled on ✅`,
        },
      );
    }
    return rows;
  },
};
