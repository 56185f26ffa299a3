import type { Queue } from 'bullmq';
import { bestEffort } from '../core/best-effort.js';
import type { AcceptedRequest } from '../core/domain.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { withTimeout } from '../core/time.js';
import { type IntakeWork, type IntakeWorkKind, intakeJobOptions, QUEUES } from '../queue/registry.js';
import type { ThreadOrder } from '../sessions/thread-lock.js';
import type { Claims } from './claims.js';

export type IntakeResult = 'accepted' | 'duplicate';

export interface IntakeDeps {
  claims: Claims;
  queue: Pick<Queue, 'add'>;
  logger: Logger;
  /** Bound on the durable write, well inside Slack's 3 s ack window. */
  writeTimeoutMs?: number;
}

/**
 * The one thing every request does before the ack: claim it, write it durably to Redis as a work
 * item (a BullMQ job, recovered by BullMQ's stalled-job check if this process dies), then make
 * the claim final. Throws `redis_unavailable` when the write did not happen; the claim is then
 * released so Slack's redelivery is taken.
 */
export const createIntake = ({ claims, queue, logger, writeTimeoutMs = 2_000 }: IntakeDeps) => {
  const write = async (
    jobName: string,
    id: string,
    data: AcceptedRequest | IntakeWork[IntakeWorkKind],
    claimIds: string[],
    also?: Parameters<Claims['confirm']>[1],
  ): Promise<IntakeResult> => {
    let state: Awaited<ReturnType<Claims['claim']>>;
    try {
      state = await withTimeout(claims.claim(claimIds), writeTimeoutMs, 'claim');
    } catch (cause) {
      throw new AppError('redis_unavailable', 'could not claim the request', { cause, retryable: true });
    }
    if (state !== 'new') {
      logger.debug({ id, state }, 'duplicate delivery ignored');
      return 'duplicate';
    }
    try {
      await withTimeout(queue.add(jobName, data, intakeJobOptions(id)), writeTimeoutMs, 'intake write');
      await claims.confirm(claimIds, also);
    } catch (cause) {
      // A pending claim left behind turns Slack's first redelivery away as a duplicate until it expires.
      await bestEffort(logger, 'claim release', () => claims.release(claimIds));
      throw new AppError('redis_unavailable', 'could not store the request', { cause, retryable: true });
    }
    return 'accepted';
  };
  return {
    /**
     * A user's request. `order` enters it in its thread's arrival order (in the same round trip as
     * the claim), so answers in one thread go in the order the messages were sent.
     */
    async accept(request: AcceptedRequest, claimIds: string[], order?: ThreadOrder): Promise<IntakeResult> {
      const result = await write(
        QUEUES.intake.job,
        request.id,
        request,
        claimIds,
        order ? (m) => order.enter(m) : undefined,
      );
      if (result === 'accepted')
        logger.info({ requestId: request.id, source: request.source }, 'request accepted');
      return result;
    },
    /** Other intake work (Home opened, button clicks): same claim, write, confirm. */
    async acceptWork<K extends IntakeWorkKind>(
      kind: K,
      id: string,
      data: IntakeWork[K],
      claimIds: string[],
    ): Promise<IntakeResult> {
      return write(QUEUES.intake[kind].job, id, data, claimIds);
    },
  };
};

export type Intake = ReturnType<typeof createIntake>;
