import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/queue/registry.js';
import { type Ack, createDriver } from '../../standins/driver/index.js';
import { BARE_BOLT, type BenchContext, type Fleet, SIGNING_SECRET } from './procs.js';
import { perMethod, type Section } from './section.js';
import { isWrite } from './slack-calls.js';
import { max, median, num, percentile, ratio, sleep, spread } from './stats.js';

/**
 * Ack latency at a sustained event rate, open loop: the bot beside a bare Bolt app that only
 * acknowledges. Every event the bot gets is one it takes (claim + durable intake write before the
 * ack).
 */

export interface AckOptions {
  rate: number;
  durationS: number;
  warmS: number;
  users: number;
}

export interface AckRun {
  latencies: number[];
  sent: number;
  non200: number;
  late: number;
  achievedRate: number;
}

/** Sends `count` requests at `rate` per second, open loop (as Slack does: it never waits for us). */
const openLoop = async (count: number, rate: number, send: (i: number) => Promise<Ack>) => {
  const interval = 1000 / rate;
  const start = performance.now();
  const pending: Promise<Ack>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(send(i));
  }
  const sendingS = (performance.now() - start) / 1000;
  const acks = await Promise.all(pending);
  return { acks, achievedRate: count / Math.max(sendingS, interval / 1000) };
};

const summarize = (acks: Ack[], achievedRate: number): AckRun => ({
  latencies: acks.map((a) => a.latencyMs),
  sent: acks.length,
  non200: acks.filter((a) => a.status !== 200).length,
  late: acks.filter((a) => a.late).length,
  achievedRate,
});

export type AckEvents = 'dm' | 'home';

const runLoad = async (
  ctx: BenchContext,
  url: string,
  opts: AckOptions,
  tag: string,
  events: AckEvents,
): Promise<{ warm: AckRun; main: AckRun }> => {
  const driver = createDriver({ url, signingSecret: SIGNING_SECRET, slack: ctx.slack, timeoutMs: 10_000 });
  const user = (i: number) => `UACK${tag}${String(i % opts.users).padStart(4, '0')}`;
  const send = (phase: string) => (i: number) =>
    events === 'dm'
      ? driver.dm({ user: user(i), text: `ack bench ${phase} question ${i}` }).then((r) => r.ack)
      : driver.homeOpened({ user: user(i) }).then((d) => d.ack);
  const warm = await openLoop(Math.round(opts.rate * opts.warmS), opts.rate, send('warm'));
  const main = await openLoop(Math.round(opts.rate * opts.durationS), opts.rate, send('main'));
  return { warm: summarize(warm.acks, warm.achievedRate), main: summarize(main.acks, main.achievedRate) };
};

/** The floor: DM events to a Bolt app that only acknowledges. */
export const benchBareAck = async (ctx: BenchContext, fleet: Fleet, opts: AckOptions): Promise<AckRun> => {
  const bare = await fleet.startScript(
    'bare-bolt',
    'ack',
    BARE_BOLT,
    { SLACK_SIGNING_SECRET: SIGNING_SECRET, NODE_ENV: 'production' },
    'healthz',
  );
  try {
    return (await runLoad(ctx, bare.url, opts, 'B', 'dm')).main;
  } finally {
    await fleet.stop(bare);
  }
};

export interface BotAckRun extends AckRun {
  answered: number;
  overflowed: number;
  expected: number;
  writeCalls: number;
  writesByMethod: Record<string, number>;
  /** Seconds from the last event sent until every answer was done (or the wait gave up). */
  drainS: number;
}

/**
 * The bot under the same load. `dm`: every event is a request, claimed, written and then answered
 * (the LLM and Slack stand-ins answer at once), so the ack shares the process with the answering.
 * `home`: `app_home_opened`, claimed and written the same way but cheap afterwards (one Home
 * publish), so the figure is the intake path itself.
 */
export const benchBotAck = async (
  ctx: BenchContext,
  fleet: Fleet,
  opts: AckOptions & { answerWaitS: number },
  events: AckEvents,
): Promise<BotAckRun> => {
  const prefix = `{bench-ack-${events}}`;
  const phase = events === 'dm' ? 'ack, DMs' : 'ack, Home opened';
  const web = await fleet.startBot('web', phase, prefix);
  const worker = events === 'dm' ? await fleet.startBot('worker', phase, prefix) : undefined;
  const redis = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
  const intake = new Queue(QUEUES.intake.name, { connection: redis, prefix });
  const answers = new Queue(QUEUES.answers.name, { connection: redis, prefix });
  try {
    const llmBefore = ctx.openai.requests().length;
    const callsBefore = ctx.slack.calls().length;
    const { warm, main } = await runLoad(ctx, web.url, opts, events === 'dm' ? 'W' : 'H', events);
    const sentAt = Date.now();
    const expected = events === 'dm' ? warm.sent + main.sent - warm.non200 - main.non200 : 0;
    // Every accepted DM is answered (foreground, or background on overflow): wait for them, up to a point.
    const deadline = Date.now() + opts.answerWaitS * 1000;
    for (;;) {
      const [i, a] = await Promise.all([
        intake.getJobCounts('active', 'waiting', 'prioritized', 'delayed'),
        answers.getJobCounts('active', 'waiting', 'prioritized', 'delayed'),
      ]);
      const busy = Object.values(i).reduce((x, y) => x + y, 0) + Object.values(a).reduce((x, y) => x + y, 0);
      const answered = ctx.openai.requests().length - llmBefore;
      if ((busy === 0 && answered >= expected) || Date.now() > deadline) break;
      await sleep(100);
    }
    const drainS = (Date.now() - sentAt) / 1000;
    // Let the coalesced Home re-publishes (HOME_COALESCE_MS, 1.5 s) go out before counting writes.
    await sleep(2_000);
    const calls = ctx.slack
      .calls()
      .slice(callsBefore)
      .filter((c) => isWrite(c.method));
    const writesByMethod: Record<string, number> = {};
    for (const c of calls) writesByMethod[c.method] = (writesByMethod[c.method] ?? 0) + 1;
    const counts = await answers.getJobCounts('completed', 'failed', 'active', 'waiting', 'prioritized');
    return {
      ...main,
      answered: ctx.openai.requests().length - llmBefore,
      overflowed: Object.values(counts).reduce((x, y) => x + y, 0),
      expected,
      writeCalls: calls.length,
      writesByMethod,
      drainS,
    };
  } finally {
    await Promise.allSettled([intake.close(), answers.close()]);
    redis.disconnect();
    await fleet.stop(web);
    if (worker) await fleet.stop(worker);
  }
};

const ackFigures = (run: AckRun) => ({
  p50: median(run.latencies),
  p99: percentile(run.latencies, 99),
  max: max(run.latencies),
});

export const ackSection: Section = {
  key: 'ack',
  name: 'Ack latency',
  run: async ({ ctx, fleet, opts }) => {
    const ackOpts = { rate: opts.rate, durationS: opts.durationS, warmS: 2, users: 200, answerWaitS: 20 };
    const bare = await benchBareAck(ctx, fleet, ackOpts);
    const floor = ackFigures(bare);
    const home = await benchBotAck(ctx, fleet, ackOpts, 'home');
    const dm = await benchBotAck(ctx, fleet, ackOpts, 'dm');
    const h = ackFigures(home);
    const d = ackFigures(dm);
    const load = (r: AckRun) =>
      `${r.sent} events at ${num(r.achievedRate)}/s after ${ackOpts.warmS} s of warm-up; ${r.non200} not 200, ${r.late} over 3 s`;
    const row = (figure: string, value: string, more: { aim?: string; how?: string } = {}) => ({
      section: 'Ack latency',
      figure,
      value,
      ...more,
    });
    return [
      row('floor: bare Bolt app, p50 / p99 / max', spread(bare.latencies), {
        how: `DM events; ${load(bare)}`,
      }),
      row('bot, intake only (app_home_opened), p50 / p99 / max', spread(home.latencies), {
        how: `each claimed + written to Redis before the ack, then one Home publish; ${load(home)}`,
      }),
      row('bot / floor, intake only (p50, p99)', `${ratio(h.p50, floor.p50)}, ${ratio(h.p99, floor.p99)}`, {
        aim: 'p99 ≤ 1.5×',
      }),
      row('bot, DMs it answers, p50 / p99 / max', spread(dm.latencies), {
        how: `each claimed + written before the ack, then answered in the same web process (+1 worker) with the instant LLM; ${load(dm)}`,
      }),
      row('bot / floor, DMs answered (p50, p99)', `${ratio(d.p50, floor.p50)}, ${ratio(d.p99, floor.p99)}`, {
        aim: 'p99 ≤ 1.5×',
      }),
      row(
        'DMs answered / sent into the overflow queue',
        `${dm.answered} of ${dm.expected} / ${dm.overflowed}`,
        {
          how:
            dm.answered >= dm.expected
              ? `all answered ${dm.drainS.toFixed(1)} s after the last event`
              : `stopped waiting ${dm.drainS.toFixed(1)} s after the last event`,
        },
      ),
      row(
        'Slack writes per DM answer under this load',
        (dm.writeCalls / Math.max(1, dm.answered)).toFixed(2),
        {
          how: perMethod(dm.writesByMethod, 2, Math.max(1, dm.answered)),
        },
      ),
    ];
  },
};
