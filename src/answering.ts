import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { createContextBuilder } from './answer/context.js';
import { createFileResolver } from './answer/files.js';
import type { Config } from './core/config.js';
import type { SlackIdentity } from './core/domain.js';
import type { Logger } from './core/logger.js';
import type { Metrics } from './core/metrics.js';
import { currentWorkspace } from './core/workspace.js';
import { turnTokens } from './llm/budget.js';
import type { LlmClient } from './llm/client.js';
import { createRedisBudgetStore } from './out/budget-store.js';
import { createDownloader, fileOrigins } from './out/files/download.js';
import { extractFile } from './out/files/extract.js';
import { toFileRefs } from './out/files/slack-file.js';
import { createSlackPoster } from './out/poster.js';
import {
  type BudgetMetrics,
  createSlackBudget,
  type Priority,
  type SlackBudget,
} from './out/slack-budget.js';
import { createSlackCall } from './out/slack-call.js';
import { createThreadReader } from './out/threads.js';
import type { Workspaces } from './out/workspaces.js';
import type { Fairness } from './queue/fairness.js';
import type { QueueTracing } from './queue/registry.js';
import type { QueueWatch } from './queue/watch.js';
import { createFileTextStore } from './sessions/file-texts.js';
import { createHistoryStore } from './sessions/history.js';
import type { Keys } from './sessions/keys.js';
import { createNameCache } from './sessions/names.js';
import type { RequestStore } from './sessions/requests.js';
import { createSessionSupport } from './sessions/session-support.js';

export interface AnsweringDeps {
  config: Pick<Config, 'nativeStreaming' | 'sessions' | 'openai' | 'emoji' | 'redis' | 'slack' | 'files'>;
  redis: Redis;
  keys: Keys;
  identity: SlackIdentity;
  logger: Logger;
  metrics: BudgetMetrics;
}

/**
 * What a role answers with, on its own Slack client: the poster, the thread reader, the history
 * cache and the context builder. Every role's Slack calls share one budget per workspace, in Redis,
 * with every other process's (out/slack-budget.ts); the web role writes at foreground priority, a
 * worker at background priority.
 */
export const createAnswering = (deps: AnsweringDeps) => {
  const { config, redis, identity, logger } = deps;
  const store = createRedisBudgetStore({ redis, prefix: config.redis.prefix });
  const shared = createSlackBudget({
    store,
    // One budget per workspace: the one the call runs in (core/workspace.ts).
    team: () => currentWorkspace()?.teamId ?? identity.teamId,
    logger,
    metrics: deps.metrics,
    scale: config.slack.budgetScale,
  });
  return (client: WebClient, priority: Priority) =>
    answeringOn(deps, client, shared.withPriority(priority), priority === 'foreground' ? 10_000 : 60_000);
};

const answeringOn = (deps: AnsweringDeps, client: WebClient, budget: SlackBudget, readWaitMs: number) => {
  const { config, redis, keys, identity, logger } = deps;
  const poster = createSlackPoster({
    client,
    logger,
    nativeStreaming: config.nativeStreaming,
    badges: config.emoji,
    sessionSupport: createSessionSupport({ redis, keys }),
    budget,
  });
  // History reads wait for the budget or a 429 for a while (a user waiting: 10 s, background: 60 s);
  // longer fails the read, and the answer says so.
  const gate: Pick<SlackBudget, 'run'> = {
    run: (method, channel, fn, opts) => budget.run(method, channel, fn, { maxWaitMs: readWaitMs, ...opts }),
  };
  const names = createNameCache({ redis, keys });
  const reader = createThreadReader({ client, gate, names, identity, logger });
  const history = createHistoryStore({
    redis,
    keys,
    ttlSeconds: config.sessions.historyTtlSeconds,
    reader,
    count: turnTokens,
    budgetTokens: config.openai.contextTokenBudget,
  });
  // Shared files, downloaded with the bot token of the workspace the work runs in.
  const files = createFileResolver({
    store: createFileTextStore({ redis, keys, ttlSeconds: config.sessions.historyTtlSeconds }),
    download: createDownloader({ allowedOrigins: fileOrigins(config.slack.apiUrl) }),
    extract: (file, bytes) => extractFile(file, bytes, config.files),
    limits: config.files,
    // A Slack Connect stub's details, read with the workspace's token like the thread.
    info: async (fileId) => {
      const res = await gate.run('files.info', '*', () => client.files.info({ file: fileId }));
      return toFileRefs([res.file])[0];
    },
    logger,
  });
  const context = createContextBuilder({ history, reader, config: config.openai, files });
  return { client, poster, reader, history, context, budget, call: createSlackCall(budget) };
};

export type Answering = ReturnType<typeof answeringOn>;

/** What main.ts gives both roles (web-role.ts, worker-role.ts). */
export interface RoleDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The fail-fast producer connection, and the blocking one BullMQ workers need. */
  redis: Redis;
  workerConnection: Redis;
  /** A connection of its own for the stop and cancel channels (a subscribed client does nothing else). */
  subscriber: Redis;
  keys: Keys;
  /** The LLM at the role's priority. */
  llm: LlmClient;
  /** The role's own Slack client and what answers with it. */
  answering: Answering;
  requests: RequestStore;
  fairness: Fairness;
  watch: QueueWatch;
  /** BullMQ's telemetry option (tracing on) or nothing. */
  traced: QueueTracing;
  /** The workspaces the bot is installed in: each job runs in its own (core/workspace.ts). */
  workspaces: Workspaces;
}

/** A role's BullMQ worker options: a dead worker's job is re-run after its lock lapses and the stalled check sees it. */
export const workerOptions = (deps: RoleDeps, concurrency: number) => ({
  connection: deps.workerConnection,
  prefix: deps.config.redis.prefix,
  ...deps.traced,
  concurrency,
  lockDuration: deps.config.queue.lockMs,
  stalledInterval: deps.config.queue.lockMs,
});
