import type { Queue } from 'bullmq';
import type { Registry } from 'prom-client';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { metricsOn } from '../core/metrics.js';

/** The job states a queue's depth is read in (BullMQ 6 has no `paused` state). */
export const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;

/**
 * `backchannel_queue_jobs{queue,state}`: how many jobs each queue holds per state, read from Redis
 * when /metrics is scraped (one call per queue), so every process reports the same fleet-wide
 * depth. A scrape while Redis is away keeps the last values and logs at debug.
 */
export const registerQueueMetrics = (registry: Registry, queues: readonly Queue[], logger: Logger) =>
  metricsOn(registry).gauge(
    'backchannel_queue_jobs',
    'Jobs in each queue by state, fleet-wide (read from Redis at scrape time)',
    ['queue', 'state'],
    async function () {
      for (const queue of queues) {
        try {
          const counts = await queue.getJobCounts(...QUEUE_STATES);
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        } catch (err) {
          logger.debug({ queue: queue.name, err: errorFields(err) }, 'queue depth not read');
        }
      }
    },
  );
