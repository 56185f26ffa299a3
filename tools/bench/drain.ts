import type { JobType, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { answerJobId, QUEUES } from '../../src/queue/registry.js';
import { id, mention } from './answers.js';
import { type BenchContext, cpuMeter } from './procs.js';
import { sleep } from './stats.js';

/** Timing a backlog's drain from BullMQ's own stamps, for the bot's workers and bare ones alike. */

export const waitUntil = async (probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
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

export const waitForCounts = async (queue: Queue, states: JobType[], atLeast: number, timeoutMs: number) =>
  waitUntil(
    async () => Object.values(await queue.getJobCounts(...states)).reduce((a, b) => a + b, 0) >= atLeast,
    timeoutMs,
    `${atLeast} jobs ${states.join('/')}`,
  );

/** The Redis key of the answer job's hash for the message at `ts`. */
export const jobKey = (prefix: string, teamId: string, channel: string, ts: string) =>
  `${prefix}:${QUEUES.answers.name}:${answerJobId(`${teamId}:${channel}:${ts}`)}`;

/**
 * Sends `jobs` `later` mentions (16 at a time) to the web process at `url` and waits until all of
 * them wait in the paused answers queue, the intake queue empty; the Redis keys of their job hashes.
 */
export const fillBacklog = async (
  ctx: BenchContext,
  o: { url: string; prefix: string; jobs: number; tag: string; answers: Queue; intake: Queue },
): Promise<string[]> => {
  const keys: string[] = [];
  let next = 0;
  const feeder = async () => {
    for (let i = next++; i < o.jobs; i = next++) {
      const m = await mention(ctx, o.url, `later ${id(o.tag)} summarise the incident (${i})`);
      keys.push(jobKey(o.prefix, ctx.slack.teamId, m.channel, m.ts));
    }
  };
  await Promise.all(Array.from({ length: 16 }, feeder));
  await waitForCounts(o.answers, ['prioritized', 'waiting'], o.jobs, 120_000);
  await waitUntil(
    async () =>
      Object.values(await o.intake.getJobCounts('active', 'waiting', 'prioritized')).every((v) => v === 0),
    60_000,
    'the web process to finish enqueueing',
  );
  return keys;
};

/** The throwaway redis-server's pid, for the CPU meter. */
export const redisPids = (ctx: BenchContext): number[] => (ctx.redis.child.pid ? [ctx.redis.child.pid] : []);

/** Resumes the paused, filled queue, waits until every job has finished, and measures the drain. */
export const timeDrain = async (o: {
  workers: number;
  jobs: number;
  concurrency: number;
  queue: Queue;
  redis: Redis;
  /** The Redis keys of the jobs' hashes. */
  keys: string[];
  /** The processes whose CPU time counts, by kind. */
  pids: Record<string, number[]>;
  timeoutMs: number;
}): Promise<DrainResult> => {
  const meter = cpuMeter(o.pids);
  const resumedAt = Date.now();
  await o.queue.resume();
  await waitForCounts(o.queue, ['completed', 'failed'], o.jobs, o.timeoutMs);
  const cpu = meter.stop();
  const stats = await drainStats(o.redis, o.keys, resumedAt);
  return {
    workers: o.workers,
    concurrency: o.concurrency,
    jobs: o.jobs,
    ...stats,
    cpuMsPerJob: perJob(cpu, o.jobs),
  };
};
