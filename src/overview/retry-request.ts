import type { Redis } from 'ioredis';
import type { AcceptedRequest } from '../core/domain.js';
import type { Enqueuer } from '../queue/enqueue.js';
import { type AnswerPolicy, answerJobSchema } from '../queue/registry.js';
import type { Keys } from '../sessions/keys.js';
import type { RequestRecord, RequestStore } from '../sessions/requests.js';

/** Whether a request may be answered now, and with what policy (answer/readmission.ts). */
export type Readmit = (
  request: AcceptedRequest,
) => Promise<{ ok: true; policy: AnswerPolicy } | { ok: false; text: string }>;

export type RetryOutcome = 'queued' | 'not_retryable' | { refused: string };

/**
 * Retry from the Home tab: a failed or cancelled request runs again as a new background job
 * (its own job id), with the question and thread it had, once today's policy and budgets admit it
 * (`readmit`), with the policy's settings of now.
 */
export const createRetryRequest =
  (deps: {
    requests: Pick<RequestStore, 'getJob'>;
    enqueuer: Pick<Enqueuer, 'enqueue'>;
    redis: Redis;
    keys: Pick<Keys, 'cancelled'>;
    readmit?: Readmit;
  }) =>
  async (record: RequestRecord): Promise<RetryOutcome> => {
    if (record.state !== 'failed' && record.state !== 'cancelled') return 'not_retryable';
    const saved = answerJobSchema.safeParse(await deps.requests.getJob(record.id));
    if (!saved.success) return 'not_retryable';
    const { policy: _then, ...job } = saved.data;
    const now = deps.readmit ? await deps.readmit(saved.data.request) : undefined;
    if (now && !now.ok) return { refused: now.text };
    const policy = now ? now.policy : saved.data.policy;
    await deps.redis.del(deps.keys.cancelled(record.id));
    await deps.enqueuer.enqueue({
      ...job,
      ...(policy && Object.keys(policy).length ? { policy } : {}),
      retry: saved.data.retry + 1,
      priority: 'normal',
      reason: 'retry',
      enqueuedAt: Date.now(),
    });
    return 'queued';
  };
