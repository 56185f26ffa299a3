import type { Queue, Worker } from 'bullmq';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** One error line per component and outage, not one per reconnect attempt. */
const ERROR_LOG_INTERVAL_MS = 60_000;

type Watched = Pick<Worker, 'on' | 'close' | 'waitUntilReady'>;
type WatchedQueue = Pick<Queue, 'on' | 'close' | 'waitUntilReady'>;

/**
 * The process's BullMQ workers and queues: each gets its 'error' listener (BullMQ emits one per
 * failed reconnect; unlistened, Node would throw it), failed and stalled jobs are logged, and they
 * are waited for at start and closed at shutdown together.
 */
export const createQueueWatch = (logger: Logger, now: () => number = Date.now) => {
  const workers: Watched[] = [];
  const queues: WatchedQueue[] = [];
  const lastErrorAt = new Map<string, number>();
  const onError = (what: string) => (err: Error) => {
    const t = now();
    if (t - (lastErrorAt.get(what) ?? -Infinity) < ERROR_LOG_INTERVAL_MS) return;
    lastErrorAt.set(what, t);
    logger.error({ err: errorFields(err), what }, 'queue error');
  };
  return {
    worker<W extends Watched>(worker: W, what: string): W {
      worker.on('error', onError(what));
      worker.on('failed', (job, err) =>
        logger.warn(
          { what, jobId: job?.id, attempts: job?.attemptsMade, err: errorFields(err) },
          'job failed',
        ),
      );
      worker.on('stalled', (jobId) => logger.warn({ what, jobId }, 'stalled job taken back to run again'));
      workers.push(worker);
      return worker;
    },
    queue<Q extends WatchedQueue>(queue: Q, what: string): Q {
      queue.on('error', onError(what));
      queues.push(queue);
      return queue;
    },
    /** Every worker and queue connected. */
    async ready(): Promise<void> {
      await Promise.all([
        ...workers.map((w) => w.waitUntilReady()),
        ...queues.map((q) => q.waitUntilReady()),
      ]);
    },
    /** `force`: stop at once instead of letting running jobs finish (pointless with Redis down). */
    async closeWorkers(force: boolean): Promise<void> {
      await Promise.all(workers.map((w) => w.close(force)));
    },
    async closeQueues(): Promise<void> {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
};

export type QueueWatch = ReturnType<typeof createQueueWatch>;
