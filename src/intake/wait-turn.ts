import { DelayedError, type Job } from 'bullmq';
import { TurnPending } from '../sessions/thread-lock.js';

/**
 * Runs an intake job's work; when its thread is busy (`TurnPending`), the job goes back to BullMQ
 * as delayed instead of waiting in its worker slot, so one busy thread never holds the slots other
 * users need. A deferral is not an attempt: `moveToDelayed` skips the attempt count, and BullMQ
 * neither fails nor retries a job that throws `DelayedError`, so `attemptsMade` (the re-run check)
 * stays as it was.
 */
export const waitTurnInQueue = async <T>(
  job: Pick<Job, 'moveToDelayed'>,
  token: string | undefined,
  work: () => Promise<T>,
): Promise<T> => {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof TurnPending)) throw err;
    await job.moveToDelayed(Date.now() + err.retryInMs, token);
    throw new DelayedError();
  }
};
