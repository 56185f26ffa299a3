import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Answering } from './answering.js';
import type { Config } from './core/config.js';
import type { Logger } from './core/logger.js';
import type { Metrics } from './core/metrics.js';
import type { LlmClient } from './llm/client.js';
import type { OverviewService } from './overview/service.js';
import { answerBackoff, createAnswerProcessor } from './queue/answer-processor.js';
import { createCancelWatch } from './queue/cancel.js';
import type { Fairness } from './queue/fairness.js';
import { QUEUES, type QueueTracing } from './queue/registry.js';
import { createAnswerStalledOut } from './queue/stalled.js';
import type { QueueWatch } from './queue/watch.js';
import { createFeedbackStore } from './sessions/feedback.js';
import type { Keys } from './sessions/keys.js';
import type { RequestStore } from './sessions/requests.js';

export interface WorkerRoleDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The fail-fast producer connection, and the blocking one BullMQ workers need. */
  redis: Redis;
  workerConnection: Redis;
  /** A connection of its own for the cancellation channel (a subscribed client does nothing else). */
  subscriber: Redis;
  keys: Keys;
  llm: LlmClient;
  /** The worker role's own Slack client (it never retries a call itself) and what answers with it. */
  answering: Answering;
  requests: RequestStore;
  fairness: Fairness;
  overview: Pick<OverviewService, 'notifyReady'>;
  watch: QueueWatch;
  /** BullMQ's telemetry option (tracing on) or nothing. */
  traced: QueueTracing;
}

/**
 * The worker role: the answer worker, which runs queued answers in the background, and the
 * cancellation watch that stops a running one.
 */
export const startWorkerRole = async (deps: WorkerRoleDeps): Promise<void> => {
  const { config, logger, metrics, redis, keys, requests, fairness } = deps;
  const { poster, reader, context, history } = deps.answering;
  const cancels = createCancelWatch({ subscriber: deps.subscriber, redis, keys, logger });
  await cancels.start();
  const answerWorker = new Worker(
    QUEUES.answers.name,
    createAnswerProcessor({
      llm: deps.llm,
      poster,
      reader,
      context,
      history,
      requests,
      feedback: createFeedbackStore({
        redis,
        keys,
        retentionSeconds: config.sessions.resultRetentionSeconds,
      }),
      fairness,
      cancels,
      onReady: deps.overview.notifyReady,
      metrics,
      logger,
    }),
    {
      connection: deps.workerConnection,
      prefix: config.redis.prefix,
      ...deps.traced,
      concurrency: config.queue.workerConcurrency,
      // A dead worker's job is re-run after its lock lapses and the stalled check sees it.
      lockDuration: config.queue.lockMs,
      stalledInterval: config.queue.lockMs,
      settings: { backoffStrategy: answerBackoff },
    },
  );
  deps.watch.worker(answerWorker, 'answer worker');
  answerWorker.on(
    'failed',
    createAnswerStalledOut({ ...deps.answering, requests, fairness, metrics, logger }),
  );
};
