import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { createBudgetCheck } from './answer/budget-check.js';
import type { Config } from './core/config.js';
import type { Logger } from './core/logger.js';
import type { SlackCall } from './out/slack-call.js';
import type { WorkspaceAdmins } from './out/workspace-admins.js';
import { createUsageOverview, type UsageOverviewDeps } from './overview/usage.js';
import { createUsageChart } from './overview/usage-chart.js';
import type { AdminAudit } from './sessions/admin-audit.js';
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
  /** The process's one record of who is an admin, and the workspace's audit log. */
  admins: Pick<WorkspaceAdmins, 'isAdmin'>;
  audit: AdminAudit;
  client: WebClient;
  call: SlackCall | undefined;
  home: UsageOverviewDeps['home'];
  respond: UsageOverviewDeps['respond'];
  logger: Logger;
}) => {
  const { config, redis, keys, logger } = deps;
  const overrides = createBudgetOverrides({ redis, keys });
  return {
    check: createBudgetCheck({ config, usage: deps.usage, overrides }),
    usage: createUsageOverview({
      config,
      usage: deps.usage,
      overrides,
      admins: deps.admins,
      audit: deps.audit,
      chart: createUsageChart({ client: deps.client, call: deps.call, redis, keys, logger }),
      client: deps.client,
      home: deps.home,
      respond: deps.respond,
      logger,
    }),
  };
};

export type Budgets = ReturnType<typeof createBudgets>;
