import { answerOfWords, callsIn, type LlmShape, MARKER, mention } from './answers.js';
import type { BenchContext, Fleet } from './procs.js';
import type { Section } from './section.js';
import { waitForThreads } from './slack-calls.js';
import { max, median, ms, sleep } from './stats.js';

/** Answers streamed at once, with Slack's rate limits off and on: latency, and the 429s the bot drew. */

export interface BurstResult {
  n: number;
  rateLimited: number;
  rateLimitedByMethod: Record<string, number>;
  latencyMs: number[];
  answered: number;
  failed: number;
  pending: number;
  streamed: number;
}

/**
 * `n` mentions at once, each in its own channel, answered by a fresh web process (so every run
 * starts with the same pacing budgets). Latency: mention sent → the answer's last chat.* write.
 */
export const benchBurst = async (
  ctx: BenchContext,
  fleet: Fleet,
  n: number,
  llm: LlmShape,
  rateLimits: boolean,
): Promise<BurstResult> => {
  const prefix = rateLimits ? '{bench-burst-limited}' : '{bench-burst-free}';
  const web = await fleet.startBot(
    'web',
    rateLimits ? 'burst, limits on' : 'burst, limits off',
    prefix,
    rateLimits ? { SLACK_BUDGET_SCALE: '1' } : {},
  );
  ctx.openai.configure({
    ttftMs: llm.ttftMs,
    tokensPerSecond: llm.tokensPerSecond,
    text: answerOfWords(llm.words),
  });
  try {
    ctx.slack.setRateLimits(rateLimits);
    const callsBefore = ctx.slack.calls().length;
    const sent = await Promise.all(
      Array.from({ length: n }, (_, i) => mention(ctx, web.url, `burst question ${i}: what changed?`)),
    );
    const outcomes = await waitForThreads(ctx.slack, sent, MARKER, 90_000);
    await sleep(500);
    const calls = ctx.slack.calls().slice(callsBefore);
    const limited = calls.filter((c) => c.status === 429);
    const rateLimitedByMethod: Record<string, number> = {};
    for (const c of limited) rateLimitedByMethod[c.method] = (rateLimitedByMethod[c.method] ?? 0) + 1;
    const latencyMs: number[] = [];
    let streamed = 0;
    sent.forEach((m, i) => {
      const writes = callsIn(calls, m.channel).filter(
        (c) => c.method.startsWith('chat.') && c.status === 200 && c.response?.ok === true,
      );
      if (writes.some((c) => c.method === 'chat.startStream')) streamed++;
      const last = writes.at(-1);
      if (last && outcomes[i] === 'answered') latencyMs.push(last.at - m.sentAt);
    });
    return {
      n,
      rateLimited: limited.length,
      rateLimitedByMethod,
      latencyMs,
      answered: outcomes.filter((o) => o === 'answered').length,
      failed: outcomes.filter((o) => o === 'failed').length,
      pending: outcomes.filter((o) => o === 'pending').length,
      streamed,
    };
  } finally {
    ctx.slack.setRateLimits(false);
    await fleet.stop(web);
  }
};

const burstLlm: LlmShape = { ttftMs: 300, tokensPerSecond: 60, words: 90 };

export const burstSection: Section = {
  key: 'burst',
  name: 'Concurrent streams',
  run: async ({ ctx, fleet, opts }) => {
    const free = await benchBurst(ctx, fleet, opts.burst, burstLlm, false);
    const limited = await benchBurst(ctx, fleet, opts.burst, burstLlm, true);
    const describe = (r: BurstResult) =>
      `${r.answered} answered, ${r.failed} failed, ${r.pending} unfinished; ${r.streamed} natively streamed`;
    const limitedBy = Object.entries(limited.rateLimitedByMethod)
      .map(([m, n]) => `${m} ${n}`)
      .join(', ');
    return [
      {
        section: 'Concurrent streams',
        figure: `${opts.burst} answers at once, limits off: latency p50 / max`,
        value: `${ms(median(free.latencyMs))} / ${ms(max(free.latencyMs))}`,
        how: `mention → last chat.* write; ${describe(free)}; ${burstLlm.words} words at ${burstLlm.tokensPerSecond} tok/s after ${burstLlm.ttftMs} ms, one channel each`,
      },
      {
        section: 'Concurrent streams',
        figure: `${opts.burst} answers at once, limits on: latency p50 / max`,
        value: `${ms(median(limited.latencyMs))} / ${ms(max(limited.latencyMs))}`,
        how: `${describe(limited)}; p50 cost of the limits ${ms(median(limited.latencyMs) - median(free.latencyMs))} (over the answered ones only)`,
      },
      {
        section: 'Concurrent streams',
        figure: '429s received with rate limits on',
        value: String(limited.rateLimited),
        aim: '0',
        how: limitedBy || "stand-in's Slack limits (DEFAULT_RATE_LIMITS)",
      },
    ];
  },
};
