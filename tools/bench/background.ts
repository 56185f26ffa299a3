import { type JobsOptions, type JobType, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { answerJobId, QUEUES } from '../../src/queue/registry.js';
import type { BotProcess } from '../../test/support/processes.js';
import { answerOfWords, id, MARKER, mention } from './answers.js';
import { BARE_BULLMQ, type BenchContext, cpuMeter, type Fleet } from './procs.js';
import { channelOf, isWrite, waitForThreads } from './slack-calls.js';
import { sleep } from './stats.js';

/**
 * The background pipeline: `@bot later …` requests, from enqueue (the BullMQ job's `timestamp`,
 * set by the web process's `queue.add`) to start (the LLM stand-in receiving the request), and
 * how fast worker processes drain a backlog, beside bare BullMQ workers with a no-op processor.
 */

const DONE_EMOJI = 'white_check_mark';

const instantLlm = (ctx: BenchContext) =>
  ctx.openai.configure({ ttftMs: 0, tokensPerSecond: Number.POSITIVE_INFINITY, text: answerOfWords(40) });

const jobKey = (prefix: string, teamId: string, channel: string, ts: string) =>
  `${prefix}:${QUEUES.answers.name}:${answerJobId(`${teamId}:${channel}:${ts}`)}`;

const waitUntil = async (probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
};

export interface IdleResult {
  n: number;
  enqueueToStartMs: number[];
  enqueueToPickupMs: number[];
  mentionToEnqueueMs: number[];
  writesPerAnswer: number[];
  writesByMethod: Record<string, number>;
  failed: number;
}

/** `later` mentions one at a time on an idle queue (one web, one worker), each finished before the next. */
export const benchIdleQueue = async (ctx: BenchContext, fleet: Fleet, n: number): Promise<IdleResult> => {
  const prefix = 'bench-idle';
  const web = await fleet.startBot('web', 'idle queue', prefix);
  const worker = await fleet.startBot('worker', 'idle queue', prefix);
  const redis = new Redis(ctx.redis.url);
  instantLlm(ctx);
  const result: IdleResult = {
    n,
    enqueueToStartMs: [],
    enqueueToPickupMs: [],
    mentionToEnqueueMs: [],
    writesPerAnswer: [],
    writesByMethod: {},
    failed: 0,
  };
  try {
    const one = async (text: string) => {
      const token = id('bgq');
      const llmFrom = ctx.openai.requests().length;
      const m = await mention(ctx, web.url, `later ${token} ${text}`);
      const req = await ctx.openai.waitForRequests(llmFrom + 1, 20_000).then(() =>
        ctx.openai
          .requests()
          .slice(llmFrom)
          .find((r) => JSON.stringify(r.messages).includes(token)),
      );
      const [timestamp, processedOn] = await redis.hmget(
        jobKey(prefix, ctx.slack.teamId, m.channel, m.ts),
        'timestamp',
        'processedOn',
      );
      const outcome = await waitForThreads(ctx.slack, [m], MARKER, 20_000);
      await ctx.slack.waitFor(
        () => ctx.slack.reactions(m.channel, m.ts).includes(DONE_EMOJI),
        10_000,
        'the done badge',
      );
      return { m, req, timestamp: Number(timestamp), processedOn: Number(processedOn), ok: outcome[0] };
    };
    await one('warm-up, ignore');
    const measuredFrom = ctx.slack.calls().length;
    const sent: Awaited<ReturnType<typeof one>>['m'][] = [];
    for (let i = 0; i < n; i++) {
      const r = await one(`what is left in the backlog? (${i})`);
      sent.push(r.m);
      if (r.ok !== 'answered' || !r.req || !r.timestamp) {
        result.failed++;
        continue;
      }
      result.enqueueToStartMs.push(r.req.at - r.timestamp);
      result.enqueueToPickupMs.push(r.processedOn - r.timestamp);
      result.mentionToEnqueueMs.push(r.timestamp - r.m.sentAt);
    }
    await sleep(2_500); // the coalesced Home re-publish
    const calls = ctx.slack.calls().slice(measuredFrom);
    for (const m of sent) {
      const writes = calls.filter(
        (c) =>
          isWrite(c.method) &&
          (channelOf(c) === m.channel || (c.method === 'views.publish' && c.params.user_id === m.user)),
      );
      for (const c of writes) result.writesByMethod[c.method] = (result.writesByMethod[c.method] ?? 0) + 1;
      result.writesPerAnswer.push(writes.length);
    }
    for (const k of Object.keys(result.writesByMethod))
      result.writesByMethod[k] = (result.writesByMethod[k] ?? 0) / Math.max(1, sent.length);
    return result;
  } finally {
    redis.disconnect();
    await fleet.stop(web);
    await fleet.stop(worker);
  }
};

export interface DrainResult {
  workers: number;
  concurrency: number;
  jobs: number;
  completed: number;
  failed: number;
  /** Jobs per second from the first job started to the last one finished. */
  jobsPerSecond: number;
  /** Seconds from resume to the last job finished. */
  drainS: number;
  /** CPU time per job during the drain, by process kind (`bench` is this process: the stand-ins). */
  cpuMsPerJob: Record<string, number>;
}

/** Jobs/s over the drain, from BullMQ's own `processedOn` / `finishedOn` stamps. */
const drainStats = async (redis: Redis, keys: string[], resumedAt: number) => {
  const pipeline = redis.pipeline();
  for (const k of keys) pipeline.hmget(k, 'processedOn', 'finishedOn', 'failedReason');
  const rows = ((await pipeline.exec()) ?? []).map(([, v]) => v as (string | null)[]);
  const started = rows.map((r) => Number(r[0])).filter((v) => v > 0);
  const finished = rows.map((r) => Number(r[1])).filter((v) => v > 0);
  const failed = rows.filter((r) => r[2]).length;
  const first = Math.min(...started);
  const last = Math.max(...finished);
  return {
    completed: finished.length - failed,
    failed,
    jobsPerSecond: finished.length / Math.max(0.001, (last - first) / 1000),
    drainS: (last - resumedAt) / 1000,
  };
};

const perJob = (cpu: Record<string, number>, jobs: number) =>
  Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v / jobs]));

const waitForCounts = async (queue: Queue, states: JobType[], atLeast: number, timeoutMs: number) =>
  waitUntil(
    async () => Object.values(await queue.getJobCounts(...states)).reduce((a, b) => a + b, 0) >= atLeast,
    timeoutMs,
    `${atLeast} jobs ${states.join('/')}`,
  );

/**
 * A backlog of `jobs` later-requests, fed by one web process into a paused queue; then `workers`
 * worker processes (WORKER_CONCURRENCY = `concurrency`) start, the queue resumes, and we time the
 * drain. Instant LLM and instant Slack, so this is the bot's own per-job cost.
 */
export const benchBotDrain = async (
  ctx: BenchContext,
  fleet: Fleet,
  opts: { workers: number; jobs: number; concurrency: number },
): Promise<DrainResult> => {
  const prefix = `bench-drain${opts.workers}`;
  const phase = `drain, ${opts.workers} worker${opts.workers > 1 ? 's' : ''}`;
  const redis = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
  const answers = new Queue(QUEUES.answers.name, { connection: redis, prefix });
  const intake = new Queue(QUEUES.intake.name, { connection: redis, prefix });
  instantLlm(ctx);
  let web: BotProcess | undefined;
  const workers: BotProcess[] = [];
  try {
    await answers.pause();
    web = await fleet.startBot('web', phase, prefix);
    const url = web.url;
    const keys: string[] = [];
    let next = 0;
    const feeder = async () => {
      for (let i = next++; i < opts.jobs; i = next++) {
        const m = await mention(ctx, url, `later ${id('tp')} summarise the incident (${i})`);
        keys.push(jobKey(prefix, ctx.slack.teamId, m.channel, m.ts));
      }
    };
    await Promise.all(Array.from({ length: 16 }, feeder));
    await waitForCounts(answers, ['prioritized', 'waiting'], opts.jobs, 120_000);
    await waitUntil(
      async () =>
        Object.values(await intake.getJobCounts('active', 'waiting', 'prioritized')).every((v) => v === 0),
      60_000,
      'the web process to finish enqueueing',
    );
    workers.push(
      ...(await Promise.all(
        Array.from({ length: opts.workers }, () =>
          fleet.startBot('worker', phase, prefix, { WORKER_CONCURRENCY: String(opts.concurrency) }),
        ),
      )),
    );
    const meter = cpuMeter({
      workers: workers.map((w) => w.pid),
      web: [web.pid],
      redis: ctx.redis.child.pid ? [ctx.redis.child.pid] : [],
    });
    const resumedAt = Date.now();
    await answers.resume();
    await waitForCounts(answers, ['completed', 'failed'], opts.jobs, 300_000);
    const cpu = meter.stop();
    const stats = await drainStats(redis, keys, resumedAt);
    return {
      workers: opts.workers,
      concurrency: opts.concurrency,
      jobs: opts.jobs,
      ...stats,
      cpuMsPerJob: perJob(cpu, opts.jobs),
    };
  } finally {
    await Promise.allSettled(workers.map((w) => fleet.stop(w)));
    if (web) await fleet.stop(web);
    await Promise.allSettled([answers.close(), intake.close()]);
    redis.disconnect();
  }
};

/** About the size of a real answer job's data (~700 bytes of JSON), so Redis moves the same bytes. */
const barePayload = (i: number) => ({
  request: {
    id: `T0TEAM:C0BARE:${1_700_000_000 + i}.000100`,
    source: 'mention',
    teamId: 'T0TEAM',
    channelId: 'C0BARE',
    userId: 'U0BARE',
    text: 'later summarise the incident timeline for the postmortem, with owners and follow-ups',
    ts: `${1_700_000_000 + i}.000100`,
    isDm: false,
    receivedAt: Date.now(),
  },
  threadTs: `${1_700_000_000 + i}.000100`,
  badgeTs: `${1_700_000_000 + i}.000100`,
  priority: 'low',
  reason: 'later',
  question: 'summarise the incident timeline for the postmortem, with owners and follow-ups',
  questionTs: `${1_700_000_000 + i}.000100`,
  freshHistory: false,
  enqueuedAt: Date.now(),
  retry: 0,
});

/** The same drain with bare BullMQ: a pre-filled paused queue, `workers` no-op worker processes. */
export const benchBareDrain = async (
  ctx: BenchContext,
  fleet: Fleet,
  opts: { workers: number; jobs: number; concurrency: number },
): Promise<DrainResult> => {
  const prefix = 'bench-bare';
  const name = `bare${opts.workers}`;
  const phase = `bare drain, ${opts.workers}`;
  const redis = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection: redis, prefix });
  const workers: BotProcess[] = [];
  try {
    await queue.pause();
    // The bot's answer-job options: a priority (every job gets one), kept after completion.
    const jobOpts: JobsOptions = {
      priority: 10,
      attempts: 4,
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 86_400 },
    };
    const keys: string[] = [];
    for (let from = 0; from < opts.jobs; from += 500) {
      const batch = Array.from({ length: Math.min(500, opts.jobs - from) }, (_, j) => ({
        name: 'noop',
        data: barePayload(from + j),
        opts: jobOpts,
      }));
      for (const job of await queue.addBulk(batch)) keys.push(`${prefix}:${name}:${job.id}`);
    }
    workers.push(
      ...(await Promise.all(
        Array.from({ length: opts.workers }, () =>
          fleet.startScript(
            'bare-bullmq',
            phase,
            BARE_BULLMQ,
            {
              REDIS_URL: ctx.redis.url,
              BARE_QUEUE: name,
              BARE_PREFIX: prefix,
              BARE_CONCURRENCY: String(opts.concurrency),
            },
            'bare worker ready',
          ),
        ),
      )),
    );
    const meter = cpuMeter({
      workers: workers.map((w) => w.pid),
      redis: ctx.redis.child.pid ? [ctx.redis.child.pid] : [],
    });
    const resumedAt = Date.now();
    await queue.resume();
    await waitForCounts(queue, ['completed', 'failed'], opts.jobs, 120_000);
    const cpu = meter.stop();
    const stats = await drainStats(redis, keys, resumedAt);
    return {
      workers: opts.workers,
      concurrency: opts.concurrency,
      jobs: opts.jobs,
      ...stats,
      cpuMsPerJob: perJob(cpu, opts.jobs),
    };
  } finally {
    await Promise.allSettled(workers.map((w) => fleet.stop(w)));
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close().catch(() => {});
    redis.disconnect();
  }
};
