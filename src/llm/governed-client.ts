import type { Redis } from 'ioredis';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { Keys } from '../sessions/keys.js';
import type { UsageStore } from '../sessions/usage.js';
import { createLlmClient } from './client.js';
import { observeResponses, withGovernor } from './governed.js';
import { createLlmGovernor, type LlmPriority } from './governor.js';
import { createGovernorMetrics } from './governor-metrics.js';
import type { LlmClient } from './types.js';
import { withUsageMeter } from './usage-meter.js';

/**
 * The LLM as the roles get it: one client whose every response teaches the governor (the
 * provider's rate-limit headers), behind one budget for every process (governor.ts). `forRole`
 * gives foreground calls the whole budget and background ones all but the foreground's reserve.
 */
export const createGovernedLlm = (deps: {
  config: Pick<Config, 'openai' | 'llm'> & Partial<Pick<Config, 'budgets'>>;
  redis: Redis;
  keys: Pick<Keys, 'llmLeases' | 'llmBudget'>;
  metrics: Metrics;
  logger: Logger;
  /** Where each call's tokens are counted against its request's user and workspace. */
  usage?: Pick<UsageStore, 'record'>;
}): { forRole: (priority: LlmPriority) => LlmClient } => {
  const { config, logger, metrics } = deps;
  const governor = createLlmGovernor({
    redis: deps.redis,
    keys: deps.keys,
    limits: {
      rpm: config.llm.maxRpm,
      tpm: config.llm.maxTpm,
      concurrency: config.llm.maxConcurrency,
      foregroundReserve: config.llm.foregroundReserve,
    },
  });
  const governorMetrics = createGovernorMetrics(metrics.registry, governor);
  const raw = createLlmClient({
    config: config.openai,
    logger,
    metrics,
    onResponse: observeResponses(governor, logger, governorMetrics),
  });
  const metered = deps.usage
    ? withUsageMeter(raw, {
        usage: deps.usage,
        prices: config.budgets?.prices ?? {},
        model: config.openai.model,
        logger,
      })
    : raw;
  return {
    forRole: (priority) =>
      withGovernor(metered, {
        governor,
        priority,
        maxAnswerTokens: config.openai.maxAnswerTokens,
        logger,
        metrics: governorMetrics,
      }),
  };
};
