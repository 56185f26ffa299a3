import { Worker } from 'bullmq';
import { type RoleDeps, workerOptions } from './answering.js';
import type { OverviewService } from './overview/service.js';
import { answerBackoff, createAnswerProcessor } from './queue/answer-processor.js';
import { createCancelWatch } from './queue/cancel.js';
import { inJobWorkspace } from './queue/in-workspace.js';
import { QUEUES } from './queue/registry.js';
import { createAnswerStalledOut } from './queue/stalled.js';
import { createFeedbackStore } from './sessions/feedback.js';

export interface WorkerRoleDeps extends RoleDeps {
  overview: Pick<OverviewService, 'notifyReady'>;
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
  const { workspaces } = deps;
  const answerWorker = new Worker(
    QUEUES.answers.name,
    // Each job runs in its workspace, looked up when it starts (an uninstalled one's job ends quietly).
    inJobWorkspace(
      { workspaces, logger },
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
    ),
    { ...workerOptions(deps, config.queue.workerConcurrency), settings: { backoffStrategy: answerBackoff } },
  );
  deps.watch.worker(answerWorker, 'answer worker');
  answerWorker.on(
    'failed',
    createAnswerStalledOut({ ...deps.answering, requests, fairness, metrics, logger, workspaces }),
  );
};
