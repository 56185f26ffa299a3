import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AcceptedRequest } from '../core/domain.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { withTimeout } from '../core/time.js';
import { SpanKind, traceMetadata, withSpan } from '../core/tracing.js';
import {
  type IntakeWork,
  type IntakeWorkKind,
  intakeJobId,
  intakeJobOptions,
  QUEUES,
} from '../queue/registry.js';
import type { ThreadOrder } from '../sessions/thread-lock.js';

export type IntakeResult = 'accepted' | 'duplicate';

/**
 * Runs first in the intake transaction: whether the request was taken already (its deduplication
 * key, or its job if it outlived the key), and if not, its entry in its thread's order. A twin or
 * redelivery never re-enters a message that was answered and has left the order (it would hold up
 * the thread until the entry went stale).
 */
const TAKEN_SCRIPT = `
local taken = redis.call('EXISTS', KEYS[1], KEYS[2])
if taken == 0 and KEYS[3] then
  redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
return taken
`;
const TAKEN = 'backchannelIntakeTaken';

type TakenCommand = (numKeys: number, ...args: (string | number)[]) => unknown;

/**
 * What makes two deliveries the same request: `msg:<team>:<channel>:<ts>` for a user's message (so
 * a mention and its `message` twin, and every redelivery of either, are one), `evt:<event_id>` for
 * other events, `cmd:…` and `act:…` for commands and clicks.
 */
export type DedupId = `${'msg' | 'evt' | 'cmd' | 'act'}:${string}`;

export interface IntakeDeps {
  /** The intake queue; its Redis client carries BullMQ's scripts, sent in our transaction. */
  queue: Queue;
  logger: Logger;
  /** Bound on the durable write, well inside Slack's 3 s ack window. */
  writeTimeoutMs?: number;
}

/**
 * How long a request's deduplication key is kept. Slack redelivers for about 6 minutes; mention
 * twins arrive within seconds. A day is generous and cheap (one short key per request), and it
 * outlives the job itself (BullMQ removes finished intake jobs after an hour, or past 10,000).
 */
const DEDUP_MS = 86_400_000;

/**
 * The one thing every request does before the ack, in one Redis round trip: a MULTI that holds
 * BullMQ's own add script (with job-id deduplication keyed by the request) and, for a message, its
 * entry in its thread's order. BullMQ's deduplication key is the claim: it is written in the same
 * atomic step as the job, so
 * - a redelivery or twin arriving during or after the first write finds the key: `duplicate`;
 * - a first attempt that failed wrote nothing (a MULTI is all or nothing), so the redelivery is taken;
 * - the job, once written, is recovered by BullMQ's stalled-job check if this process dies.
 * Throws `redis_unavailable` when the write did not happen (events then get a 5xx, `/ask` a
 * "try again").
 */
export const createIntake = ({ queue, logger, writeTimeoutMs = 2_000 }: IntakeDeps) => {
  const write = (
    jobName: string,
    id: string,
    data: AcceptedRequest | IntakeWork[IntakeWorkKind],
    dedupId: DedupId,
    order?: ThreadOrder,
  ): Promise<IntakeResult> =>
    // The producer span BullMQ's Queue.add would open (the job is written in our own transaction):
    // its context goes with the job (`opts.telemetry.metadata`), so the intake job's span continues
    // the Slack request's trace.
    withSpan(
      `add ${QUEUES.intake.name}.${jobName}`,
      { 'messaging.system': 'bullmq' },
      async () => {
        const jobId = intakeJobId(id);
        const metadata = traceMetadata();
        const opts = {
          ...intakeJobOptions(id),
          deduplication: { id: dedupId, ttl: DEDUP_MS },
          ...(metadata ? { telemetry: { metadata } } : {}),
        };
        const job = new Job(queue, jobName, data, opts, jobId);
        let results: [Error | null, unknown][];
        try {
          const client = await withTimeout(queue.getBackend().client, writeTimeoutMs, 'intake connection');
          // Sent by hash (EVALSHA) after the first call, like BullMQ's own scripts.
          // The number of keys varies (the thread order is only for messages), so it is passed per call.
          if (!(TAKEN in client))
            (client as Pick<Redis, 'defineCommand'>).defineCommand(TAKEN, { lua: TAKEN_SCRIPT });
          const multi = client.multi();
          const taken = (multi as unknown as Record<typeof TAKEN, TakenCommand>)[TAKEN].bind(multi);
          const takenKeys = [`${queue.keys.de}:${dedupId}`, queue.toKey(jobId)];
          if (order) taken(3, ...takenKeys, order.key, order.score, order.member, order.ttlSeconds);
          else taken(2, ...takenKeys);
          // BullMQ queues its add script on `multi` synchronously (its deduplication makes a second
          // add a no-op); its own promise settles with the transaction, whose results are read below.
          job.addJob(multi as never).catch(() => undefined);
          const replies = await withTimeout(multi.exec(), writeTimeoutMs, 'intake write');
          // Two replies: the check, and the add (had BullMQ not queued it synchronously, it is missing).
          if (replies?.length !== 2) throw new Error('intake transaction incomplete');
          results = replies;
        } catch (cause) {
          throw new AppError('redis_unavailable', 'could not store the request', { cause, retryable: true });
        }
        const failed = results.find(([err]) => err);
        if (failed)
          throw new AppError('redis_unavailable', 'could not store the request', { cause: failed[0] });
        if (Number(results[0]?.[1]) > 0) {
          logger.debug({ id }, 'duplicate delivery ignored');
          return 'duplicate';
        }
        return 'accepted';
      },
      SpanKind.PRODUCER,
    );
  return {
    /**
     * A user's request. `order` enters it in its thread's arrival order (in the same transaction
     * as the write), so answers in one thread go in the order the messages were sent.
     */
    async accept(request: AcceptedRequest, dedupId: DedupId, order?: ThreadOrder): Promise<IntakeResult> {
      const result = await write(QUEUES.intake.job, request.id, request, dedupId, order);
      if (result === 'accepted')
        logger.info({ requestId: request.id, source: request.source }, 'request accepted');
      return result;
    },
    /** Other intake work (Home opened, button clicks): the same one-round-trip write. */
    async acceptWork<K extends IntakeWorkKind>(
      kind: K,
      id: string,
      data: IntakeWork[K],
      dedupId: DedupId,
    ): Promise<IntakeResult> {
      return write(QUEUES.intake[kind].job, id, data, dedupId);
    },
  };
};

export type Intake = ReturnType<typeof createIntake>;
