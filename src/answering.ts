import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { createContextBuilder } from './answer/context.js';
import type { Config } from './core/config.js';
import type { SlackIdentity } from './core/domain.js';
import type { Logger } from './core/logger.js';
import { turnTokens } from './llm/budget.js';
import { createSlackPoster } from './out/poster.js';
import { createRateGate } from './out/rate-gate.js';
import { createThreadReader } from './out/threads.js';
import { createHistoryStore } from './sessions/history.js';
import type { Keys } from './sessions/keys.js';
import { createNameCache } from './sessions/names.js';
import { createSessionSupport } from './sessions/session-support.js';

export interface AnsweringDeps {
  config: Pick<Config, 'nativeStreaming' | 'sessions' | 'openai' | 'emoji'>;
  redis: Redis;
  keys: Keys;
  identity: SlackIdentity;
  logger: Logger;
}

/**
 * What a role answers with, on its own Slack client: the poster, the thread reader, the history
 * cache and the context builder. Each role has its own client, so a 429 on one never pauses the
 * other.
 */
export const createAnswering = (deps: AnsweringDeps) => (client: WebClient) => {
  const { config, redis, keys, identity, logger } = deps;
  const poster = createSlackPoster({
    client,
    logger,
    nativeStreaming: config.nativeStreaming,
    badges: config.emoji,
    sessionSupport: createSessionSupport({ redis, keys }),
  });
  // History reads wait out a short 429; a longer one fails the read (and the answer says so).
  const gate = createRateGate({ logger, maxWaitMs: 10_000 });
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
  const context = createContextBuilder({ history, reader, config: config.openai });
  return { client, poster, reader, history, context };
};

export type Answering = ReturnType<ReturnType<typeof createAnswering>>;
