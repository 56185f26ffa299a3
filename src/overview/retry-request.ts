import type { Redis } from 'ioredis';
import type { Enqueuer } from '../queue/enqueue.js';
import { answerJobSchema } from '../queue/registry.js';
import type { Keys } from '../sessions/keys.js';
import type { RequestRecord, RequestStore } from '../sessions/requests.js';

/**
 * Retry from the Home tab: a failed or cancelled request runs again as a new background job
 * (its own job id), with the question and thread it had.
 */
export const createRetryRequest =
  (deps: {
    requests: Pick<RequestStore, 'getJob'>;
    enqueuer: Pick<Enqueuer, 'enqueue'>;
    redis: Redis;
    keys: Pick<Keys, 'cancelled'>;
  }) =>
  async (record: RequestRecord): Promise<'queued' | 'not_retryable'> => {
    if (record.state !== 'failed' && record.state !== 'cancelled') return 'not_retryable';
    const saved = answerJobSchema.safeParse(await deps.requests.getJob(record.id));
    if (!saved.success) return 'not_retryable';
    await deps.redis.del(deps.keys.cancelled(record.id));
    await deps.enqueuer.enqueue({
      ...saved.data,
      retry: saved.data.retry + 1,
      priority: 'normal',
      reason: 'retry',
      enqueuedAt: Date.now(),
    });
    return 'queued';
  };
