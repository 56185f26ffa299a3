import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { createBudgetCheck } from './answer/budget-check.js';
import type { Config } from './core/config.js';
import type { Logger } from './core/logger.js';
import type { SlackCall } from './out/slack-call.js';
import { createWorkspaceAdmins } from './out/workspace-admins.js';
import { createUsageOverview, type UsageOverviewDeps } from './overview/usage.js';
import { createUsageChart } from './overview/usage-chart.js';
import { createAdminAudit } from './sessions/admin-audit.js';
import { createAdminCache } from './sessions/admin-cache.js';
import type { Keys } from './sessions/keys.js';
import { createBudgetOverrides, type UsageStore } from './sessions/usage.js';

/**
 * Token budgets and usage, composed: the check a request passes before it is answered
 * (answer/budget-check.ts), and what people see of their usage (overview/usage.ts: Home sections,
 * `/ask usage`, the admin's budget modal). The counting itself is on the LLM client (llm/usage-meter.ts).
 */
export const createBudgets = (deps: {
  config: Pick<Config, 'budgets'>;
  redis: Redis;
  keys: Keys;
  usage: UsageStore;
  client: WebClient;
  call: SlackCall | undefined;
  home: UsageOverviewDeps['home'];
  respond: UsageOverviewDeps['respond'];
  logger: Logger;
}) => {
  const { config, redis, keys, logger } = deps;
  const overrides = createBudgetOverrides({ redis, keys });
  const call: SlackCall = deps.call ?? ((_method, _channel, fn) => fn());
  return {
    check: createBudgetCheck({ config, usage: deps.usage, overrides }),
    usage: createUsageOverview({
      config,
      usage: deps.usage,
      overrides,
      admins: createWorkspaceAdmins({ client: deps.client, call, cache: createAdminCache({ redis, keys }) }),
      audit: createAdminAudit({ redis, keys }),
      chart: createUsageChart({ client: deps.client, call: deps.call, redis, keys, logger }),
      client: deps.client,
      home: deps.home,
      respond: deps.respond,
      logger,
    }),
  };
};

export type Budgets = ReturnType<typeof createBudgets>;
