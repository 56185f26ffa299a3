import { type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { BotProcess } from '../../standins/processes.js';
import { type DrainResult, redisPids, timeDrain } from './drain.js';
import { BARE_BULLMQ, type BenchContext, type Fleet } from './procs.js';
import type { Section } from './section.js';

/**
 * The floor for the background figures: bare BullMQ workers with a no-op processor draining a
 * backlog of jobs the size of the bot's, per worker count.
 */

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
  const prefix = '{bench-bare}';
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
    return await timeDrain({
      ...opts,
      queue,
      redis,
      keys,
      pids: { workers: workers.map((w) => w.pid), redis: redisPids(ctx) },
      timeoutMs: 120_000,
    });
  } finally {
    await Promise.allSettled(workers.map((w) => fleet.stop(w)));
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close().catch(() => {});
    redis.disconnect();
  }
};

/** Rows come with the bot's drain, in the Background section; here only the bare rates are kept. */
export const bareSection: Section = {
  key: 'bare',
  name: 'Bare BullMQ',
  run: async ({ ctx, fleet, opts, shared }) => {
    shared.bareRates = [];
    for (const w of opts.workers)
      shared.bareRates.push(
        await benchBareDrain(ctx, fleet, { workers: w, jobs: opts.bareJobs, concurrency: opts.concurrency }),
      );
    return [];
  },
};
