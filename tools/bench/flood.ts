import { Redis } from 'ioredis';
import type { RecordedCall } from '../../standins/slack/index.js';
import { answerOfWords, id, MARKER, type MentionSent, mention } from './answers.js';
import { type BenchContext, type Fleet, vmRssKb } from './procs.js';
import type { Section } from './section.js';
import { channelOf, waitForThreads } from './slack-calls.js';
import { bytes, max, median, ms, percentile, type Row, sleep } from './stats.js';

/**
 * A burst that overflows the foreground: `n` mentions at `rate`/s from `users` users, each in a
 * channel of its own, against one `npm start` process (web and worker roles together), the LLM
 * answering in `llmMs`. What counts is how many are answered within a minute of the burst's end:
 * queued work must flow to whatever LLM capacity is free.
 */

export interface FloodShape {
  n: number;
  rate: number;
  users: number;
  llmMs: number;
}

export interface FloodResult {
  sent: number;
  answered: number;
  failed: number;
  answeredWithin60s: number;
  /** Mention sent → its answer complete, for the answered ones. */
  latencyMs: number[];
  burstS: number;
  /** Last answer's end − the burst's end. */
  tailS: number;
  /** Highest VmRSS during the burst and its drain (sampled; VmHWM would count the start-up peak). */
  peakRssKb: number | undefined;
  /** Most LLM calls in flight at once (the governor's leases), sampled every 200 ms. */
  peakInFlight: number;
  idleRssKb: number | undefined;
}

const AFTER_BURST_MS = 60_000;

/** Answer end per channel: the last successful chat.* write (the stream's stop, or the post). */
const answerEnds = (calls: readonly RecordedCall[]): Map<string, number> => {
  const ends = new Map<string, number>();
  for (const c of calls)
    if (c.method.startsWith('chat.') && c.status === 200 && c.response?.ok === true)
      ends.set(channelOf(c), Math.max(ends.get(channelOf(c)) ?? 0, c.at));
  return ends;
};

export const benchFlood = async (
  ctx: BenchContext,
  fleet: Fleet,
  shape: FloodShape,
  run: { phase: string; prefix: string; env: Record<string, string> },
): Promise<FloodResult> => {
  const bot = await fleet.startBot('all', run.phase, run.prefix, run.env);
  const idleRssKb = fleet.idleRss.all?.at(-1);
  ctx.openai.configure({
    ttftMs: shape.llmMs,
    tokensPerSecond: Number.POSITIVE_INFINITY,
    text: answerOfWords(30),
  });
  ctx.slack.setRateLimits(false);
  const redis = new Redis(ctx.redis.url);
  let stopped = false;
  let peakInFlight = 0;
  const leases = `${run.prefix}:llm:leases`;
  let busyRssKb = 0;
  const sampler = setInterval(() => {
    busyRssKb = Math.max(busyRssKb, vmRssKb(bot.pid) ?? 0);
    redis.zcount(leases, Date.now(), '+inf').then(
      (n) => {
        peakInFlight = Math.max(peakInFlight, n);
      },
      () => undefined,
    );
  }, 200);
  try {
    const users = Array.from({ length: shape.users }, () => id('U'));
    const callsBefore = ctx.slack.calls().length;
    const startedAt = Date.now();
    const pending: Promise<MentionSent>[] = [];
    for (let i = 0; i < shape.n; i++) {
      await sleep(Math.max(0, startedAt + (i * 1000) / shape.rate - Date.now()));
      pending.push(mention(ctx, bot.url, `flood question ${i}: what changed?`, users[i % users.length]));
    }
    const sent = await Promise.all(pending);
    const burstEnd = Date.now();
    const outcomes = await waitForThreads(ctx.slack, sent, MARKER, burstEnd + AFTER_BURST_MS - Date.now());
    await sleep(300);
    const ends = answerEnds(ctx.slack.calls().slice(callsBefore));
    const latencyMs: number[] = [];
    let within = 0;
    let last = burstEnd;
    sent.forEach((m, i) => {
      const end = ends.get(m.channel);
      if (outcomes[i] !== 'answered' || end === undefined) return;
      latencyMs.push(end - m.sentAt);
      last = Math.max(last, end);
      if (end <= burstEnd + AFTER_BURST_MS) within++;
    });
    stopped = true;
    await fleet.stop(bot);
    return {
      sent: sent.length,
      answered: outcomes.filter((o) => o === 'answered').length,
      failed: outcomes.filter((o) => o === 'failed').length,
      answeredWithin60s: within,
      latencyMs,
      burstS: (burstEnd - startedAt) / 1000,
      tailS: (last - burstEnd) / 1000,
      peakInFlight,
      idleRssKb,
      peakRssKb: busyRssKb || undefined,
    };
  } finally {
    clearInterval(sampler);
    redis.disconnect();
    if (!stopped) await fleet.stop(bot);
  }
};

const FLOOD: FloodShape = { n: 1000, rate: 50, users: 250, llmMs: 1000 };

/** Today's sizing (4 worker slots, no governor) beside the new defaults with 64 LLM calls at once. */
const RUNS: { label: string; env: Record<string, string> }[] = [
  {
    label: 'WORKER_CONCURRENCY=4, no LLM governor',
    env: { WORKER_CONCURRENCY: '4', LLM_MAX_CONCURRENCY: '0' },
  },
  { label: 'LLM_MAX_CONCURRENCY=64 (WORKER_CONCURRENCY follows)', env: { LLM_MAX_CONCURRENCY: '64' } },
];

export const floodSection: Section = {
  key: 'flood',
  name: 'Burst drain',
  run: async ({ ctx, fleet, opts }) => {
    const shape = { ...FLOOD, n: opts.floodN };
    const rows: Row[] = [];
    const aim = `${shape.n} within 60 s`;
    for (const [i, r] of RUNS.entries()) {
      const f = await benchFlood(ctx, fleet, shape, {
        phase: `burst drain ${i + 1}`,
        prefix: `{bench-flood-${i + 1}}`,
        env: r.env,
      });
      const grown =
        f.peakRssKb !== undefined && f.idleRssKb !== undefined ? f.peakRssKb - f.idleRssKb : Number.NaN;
      rows.push(
        {
          section: 'Burst drain',
          figure: `${r.label}: answered within 60 s of the burst's end`,
          value: `${f.answeredWithin60s} / ${f.sent}`,
          aim,
          how: `${shape.n} mentions at ${shape.rate}/s (${f.burstS.toFixed(1)} s) from ${shape.users} users, one npm start process, LLM ${shape.llmMs} ms per answer, Slack limits off; ${f.answered} answered in all, ${f.failed} failed, last answer ${f.tailS.toFixed(1)} s after the burst`,
        },
        {
          section: 'Burst drain',
          figure: `${r.label}: answer latency p50 / p99 / max`,
          value: `${ms(median(f.latencyMs))} / ${ms(percentile(f.latencyMs, 99))} / ${ms(max(f.latencyMs))}`,
          how: 'mention sent → last chat.* write of its answer, answered ones only',
        },
        {
          section: 'Burst drain',
          figure: `${r.label}: LLM calls in flight at peak; RSS idle → peak`,
          value: `${f.peakInFlight}; ${kib(f.idleRssKb)} → ${kib(f.peakRssKb)}`,
          how: `the governor's leases, sampled every 200 ms (0 without a governor); ${Number.isFinite(grown) && f.peakInFlight > 0 ? `≈ ${kib(grown / f.peakInFlight)} per call in flight (peak − idle, over the peak in flight)` : 'VmRSS at start, highest VmRSS sampled every 200 ms'}`,
        },
      );
    }
    return rows;
  },
};

const kib = (kb: number | undefined) => (kb === undefined || !Number.isFinite(kb) ? 'n/a' : bytes(kb * 1024));
