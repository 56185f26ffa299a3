import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/core/logger.js';
import { createIntake } from '../../src/intake/intake.js';
import { QUEUES } from '../../src/queue/registry.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createThreadLocks } from '../../src/sessions/thread-lock.js';
import { type Ack, createDriver } from '../../standins/driver/index.js';
import { BARE_BOLT, type BenchContext, BOT_NODE_OPTIONS, type Fleet, SIGNING_SECRET } from './procs.js';
import { perMethod, type Section } from './section.js';
import { isWrite } from './slack-calls.js';
import { max, median, num, percentile, ratio, sleep, spread } from './stats.js';

/**
 * Ack latency at a sustained event rate, open loop: the bot beside a bare Bolt app that only
 * acknowledges, in alternating rounds. Every event the bot gets is one it takes (its durable intake
 * write, one Redis round trip, before the ack).
 */

export interface AckOptions {
  rate: number;
  durationS: number;
  warmS: number;
  users: number;
  /** Alternating rounds the duration is cut into (floor, bot, bot, floor, …). */
  rounds: number;
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

/** One process under load: where it listens, which events it gets, and its users' tag. */
interface Target {
  url: string;
  events: AckEvents;
  tag: string;
}

/**
 * The floor and the bot measured side by side: after a warm-up each, short rounds alternate between
 * them (ABBA order), so both see the same machine: on a shared 2-core machine, load from others
 * moves every figure by 2× within a minute, and back-to-back runs compared different minutes.
 */
const sideBySide = async (
  ctx: BenchContext,
  targets: [Target, Target],
  opts: AckOptions,
): Promise<[AckRun, AckRun]> => {
  const sender = (t: Target) => {
    const driver = createDriver({
      url: t.url,
      signingSecret: SIGNING_SECRET,
      slack: ctx.slack,
      timeoutMs: 10_000,
    });
    const user = (i: number) => `UACK${t.tag}${String(i % opts.users).padStart(4, '0')}`;
    return (phase: string) => (i: number) =>
      t.events === 'dm'
        ? driver.dm({ user: user(i), text: `ack bench ${phase} question ${i}` }).then((r) => r.ack)
        : driver.homeOpened({ user: user(i) }).then((d) => d.ack);
  };
  const send = targets.map(sender);
  for (const s of send) await openLoop(Math.round(opts.rate * opts.warmS), opts.rate, s('warm'));
  const perRound = Math.max(1, Math.round((opts.rate * opts.durationS) / opts.rounds));
  const acks: Ack[][] = [[], []];
  const rates: number[][] = [[], []];
  for (let r = 0; r < opts.rounds; r++) {
    for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
      const run = await openLoop(perRound, opts.rate, send[k]!(`main${r}`));
      acks[k]!.push(...run.acks);
      rates[k]!.push(run.achievedRate);
    }
  }
  const [a, b] = [0, 1].map((k) => summarize(acks[k]!, median(rates[k]!)));
  return [a!, b!];
};

/** The floor: a Bolt app that only acknowledges (DM events). */
const startBareBolt = (fleet: Fleet) =>
  fleet.startScript(
    'bare-bolt',
    'ack',
    BARE_BOLT,
    // The same V8 flags as the bot, so the floor differs from it only in what the bot does.
    { SLACK_SIGNING_SECRET: SIGNING_SECRET, NODE_ENV: 'production', NODE_OPTIONS: BOT_NODE_OPTIONS },
    'healthz',
  );

export interface BotAckRun extends AckRun {
  /** The bare Bolt app, measured in alternating rounds with this run. */
  floor: AckRun;
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
  const bare = await startBareBolt(fleet);
  const redis = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
  const intake = new Queue(QUEUES.intake.name, { connection: redis, prefix });
  const answers = new Queue(QUEUES.answers.name, { connection: redis, prefix });
  try {
    const llmBefore = ctx.openai.requests().length;
    const callsBefore = ctx.slack.calls().length;
    const [floor, main] = await sideBySide(
      ctx,
      [
        { url: bare.url, events: 'dm', tag: `B${events}` },
        { url: web.url, events, tag: events === 'dm' ? 'W' : 'H' },
      ],
      opts,
    );
    const sentAt = Date.now();
    const warmSent = Math.round(opts.rate * opts.warmS);
    const expected = events === 'dm' ? warmSent + main.sent - main.non200 : 0;
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
      floor,
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
    await fleet.stop(bare);
  }
};

/**
 * The intake write alone, in this process: what the ack waits on Redis for (one MULTI: the check
 * and thread order, and BullMQ's add), beside a PING, one bare round trip, alternating.
 */
export const benchIntakeWrite = async (ctx: BenchContext, count = 2000) => {
  const prefix = '{bench-intake}';
  const redis = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUES.intake.name, { connection: redis, prefix });
  const logger = createLogger({ level: 'silent' });
  const intake = createIntake({ queue, logger });
  const locks = createThreadLocks({ redis, keys: createKeys(prefix), logger });
  const write: number[] = [];
  const ping: number[] = [];
  let duplicates = 0;
  try {
    await redis.ping();
    for (let i = 0; i < count + 100; i++) {
      const ts = `1700000000.${String(i).padStart(6, '0')}`;
      const id = `T0BENCH:C0BENCH:${ts}`;
      const thread = { teamId: 'T0BENCH', channelId: 'C0BENCH', threadTs: ts };
      const request = {
        id,
        source: 'dm' as const,
        teamId: 'T0BENCH',
        channelId: 'D0BENCH',
        userId: 'U0BENCH',
        text: `intake bench ${i}`,
        ts,
        isDm: true,
        receivedAt: Date.now(),
      };
      let t = performance.now();
      const result = await intake.accept(request, `msg:${id}`, locks.order(thread, ts));
      const w = performance.now() - t;
      t = performance.now();
      await redis.ping();
      const p = performance.now() - t;
      if (result === 'duplicate') duplicates++;
      // The first 100 warm up (scripts loaded, connections settled).
      if (i >= 100) {
        write.push(w);
        ping.push(p);
      }
    }
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    redis.disconnect();
  }
  return { write, ping, duplicates };
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
    const ackOpts = {
      rate: opts.rate,
      durationS: opts.durationS,
      warmS: 2,
      users: 200,
      rounds: 10,
      answerWaitS: 20,
    };
    const alone = await benchIntakeWrite(ctx);
    const home = await benchBotAck(ctx, fleet, ackOpts, 'home');
    const dm = await benchBotAck(ctx, fleet, ackOpts, 'dm');
    const load = (r: AckRun) =>
      `${r.sent} events at ${num(r.achievedRate)}/s in ${ackOpts.rounds} rounds alternating with the other, after ${ackOpts.warmS} s of warm-up; ${r.non200} not 200, ${r.late} over 3 s`;
    const row = (figure: string, value: string, more: { aim?: string; how?: string } = {}) => ({
      section: 'Ack latency',
      figure,
      value,
      ...more,
    });
    const pair = (run: BotAckRun, what: string, how: string) => {
      const [f, b] = [ackFigures(run.floor), ackFigures(run)];
      return [
        row(`floor: bare Bolt app beside ${what}, p50 / p99 / max`, spread(run.floor.latencies), {
          how: `DM events; ${load(run.floor)}`,
        }),
        row(`bot, ${what}, p50 / p99 / max`, spread(run.latencies), { how: `${how}; ${load(run)}` }),
        row(`bot / floor, ${what} (p50, p99)`, `${ratio(b.p50, f.p50)}, ${ratio(b.p99, f.p99)}`, {
          aim: 'p99 ≤ 1.3×',
        }),
      ];
    };
    return [
      row(
        'intake write alone / one PING, p50 / p99 / max',
        `${spread(alone.write)} / ${spread(alone.ping)}`,
        {
          aim: '≈ one round trip',
          how: `${alone.write.length} sequential DMs written as the ack path does (one MULTI: check + thread order + BullMQ add with deduplication), each followed by a PING; p50 ratio ${ratio(median(alone.write), median(alone.ping))}; ${alone.duplicates} taken as duplicates`,
        },
      ),
      ...pair(
        home,
        'intake only (app_home_opened)',
        'each written to Redis before the ack in one round trip (deduplicated job + thread order), then one Home publish',
      ),
      ...pair(
        dm,
        'DMs it answers',
        'each written before the ack, then answered in the same web process (+1 worker) with the instant LLM',
      ),
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
