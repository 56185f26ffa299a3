import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createAnswering } from '../../src/answering.js';
import { loadConfig } from '../../src/core/config.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createLlmClient } from '../../src/llm/client.js';
import { createSlackClient } from '../../src/out/web-client.js';
import {
  type AnswerProcessorDeps,
  answerBackoff,
  createAnswerProcessor,
} from '../../src/queue/answer-processor.js';
import { createCancelWatch } from '../../src/queue/cancel.js';
import { createFairness, type FairnessDeps } from '../../src/queue/fairness.js';
import { QUEUES } from '../../src/queue/registry.js';
import { createFeedbackStore } from '../../src/sessions/feedback.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createRequestStore } from '../../src/sessions/requests.js';
import { captureLogs } from './in-process-bot.js';
import type { Stack } from './stack.js';

/**
 * A background answer worker on a stack's Redis and prefix, built from the real parts (Slack and
 * LLM clients against the stack's stand-ins, real stores, the shared Slack budget, real BullMQ), as
 * worker-role.ts builds it (its Slack side from answering.ts, the same function), so a
 * test can swap one dependency of the processor (a store that fails, a short fairness lease).
 * Start the stack with `role: 'web'`, so this is the only answer worker.
 */
export const startAnswerWorker = async (
  s: Stack,
  opts: {
    /** Changes to the processor's deps, given the real ones. */
    deps?: (real: AnswerProcessorDeps) => Partial<AnswerProcessorDeps>;
    fairness?: Partial<Pick<FairnessDeps, 'leaseMs' | 'maxRunning'>>;
    concurrency?: number;
  } = {},
) => {
  const config = loadConfig(s.env, 'worker');
  const logs = captureLogs();
  const logger = logs.logger;
  const url = s.env.REDIS_URL ?? '';
  const redis = new Redis(url);
  const subscriber = new Redis(url);
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const keys = createKeys(s.prefix);
  const metrics = createMetrics();
  // The worker role's Slack side, as main.ts builds it: its own client that never retries a call.
  const answering = createAnswering({
    config,
    redis,
    keys,
    identity: { botUserId: s.slack.botUserId, botId: s.slack.botId, teamId: s.slack.teamId },
    logger,
    metrics,
  });
  const { poster, reader, context, history } = answering(
    createSlackClient({ token: config.slack.botToken, apiUrl: config.slack.apiUrl, logger, retries: 0 }),
    'background',
  );
  const cancels = createCancelWatch({ subscriber, redis, keys, logger });
  await cancels.start();
  const real: AnswerProcessorDeps = {
    llm: createLlmClient({ config: config.openai, logger }),
    poster,
    reader,
    context,
    history,
    requests: createRequestStore({ redis, keys, retentionSeconds: config.sessions.resultRetentionSeconds }),
    feedback: createFeedbackStore({ redis, keys, retentionSeconds: config.sessions.resultRetentionSeconds }),
    fairness: createFairness({
      redis,
      keys,
      maxRunning: config.queue.userMaxRunning,
      maxQueued: config.queue.userMaxQueued,
      ...opts.fairness,
    }),
    cancels,
    metrics,
    logger,
  };
  const worker = new Worker(QUEUES.answers.name, createAnswerProcessor({ ...real, ...opts.deps?.(real) }), {
    connection,
    prefix: s.prefix,
    concurrency: opts.concurrency ?? config.queue.workerConcurrency,
    lockDuration: config.queue.lockMs,
    stalledInterval: config.queue.lockMs,
    settings: { backoffStrategy: answerBackoff },
  });
  worker.on('error', () => {});
  await worker.waitUntilReady();
  return {
    worker,
    logs: logs.lines,
    async stop() {
      await worker.close(true);
      for (const r of [redis, subscriber, connection]) r.disconnect();
    },
  };
};
