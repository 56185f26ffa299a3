import type { WebClient } from '@slack/web-api';
import type { Config } from '../core/config.js';
import type { AcceptedRequest } from '../core/domain.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import {
  adminUsageBlocks,
  budgetModal,
  MAX_BUDGET_TOKENS,
  type UserUsage,
  usageMessage,
  userUsageBlocks,
  type WorkspaceUsage,
} from '../out/views/usage-view.js';
import type { WorkspaceAdmins } from '../out/workspace-admins.js';
import type { BudgetJob } from '../queue/registry.js';
import type { AdminAudit } from '../sessions/admin-audit.js';
import type { BudgetOverrides, UsageStore } from '../sessions/usage.js';
import type { HomeSection, HomeViewer } from './home-sections.js';
import type { UsageChart } from './usage-chart.js';

export interface UsageOverviewDeps {
  config: Pick<Config, 'budgets'>;
  usage: Pick<UsageStore, 'current' | 'top' | 'trend'>;
  overrides: Pick<BudgetOverrides, 'get' | 'set'>;
  admins: Pick<WorkspaceAdmins, 'isAdmin'>;
  audit: Pick<AdminAudit, 'record'>;
  chart: Pick<UsageChart, 'fileId'>;
  client: Pick<WebClient, 'views'>;
  /** The admin's Home is re-published after a budget change; the user's, if they use Home. */
  home: {
    publish(teamId: string, userId: string): Promise<void>;
    schedule(teamId: string, userId: string): void;
  };
  respond: (responseUrl: string, body: Record<string, unknown>) => Promise<void>;
  logger: Logger;
}

const n = (v: number) => v.toLocaleString('en-US');

/**
 * Usage people can see: each user's own on Home and in `/ask usage`; for workspace admins (re-checked
 * with users.info on every use, never taken from a payload) the workspace's, its chart, and the
 * budget modal, whose submission sets a user's daily budget and records it in the audit log.
 */
export const createUsageOverview = (deps: UsageOverviewDeps) => {
  const log = deps.logger.child({ component: 'usage' });
  const { budgets } = deps.config;

  const userUsage = async ({ teamId, userId }: HomeViewer): Promise<UserUsage> => {
    const [current, override] = await Promise.all([
      deps.usage.current({ teamId, userId }),
      deps.overrides.get(teamId, userId),
    ]);
    return { ...current.user, dailyLimit: override ?? budgets.userDailyTokens };
  };

  const workspaceUsage = async ({ teamId, userId }: HomeViewer): Promise<WorkspaceUsage> => {
    const [current, topToday, topMonth] = await Promise.all([
      deps.usage.current({ teamId, userId }),
      deps.usage.top(teamId, 'day'),
      deps.usage.top(teamId, 'month'),
    ]);
    return {
      ...current.team,
      dailyLimit: budgets.teamDailyTokens,
      topToday,
      topMonth,
      priced: Object.keys(budgets.prices).length > 0,
    };
  };

  /** Whether the user is an admin; a failed look-up counts as no (logged). */
  const isAdmin = (teamId: string, userId: string) =>
    deps.admins.isAdmin(teamId, userId).catch((err: unknown) => {
      log.warn({ userId, err: errorFields(err) }, 'admin look-up failed; treated as not an admin');
      return false;
    });

  const chartFor = async (teamId: string): Promise<string | undefined> => {
    try {
      return await deps.chart.fileId(teamId, async () =>
        (await deps.usage.trend(teamId, 30)).map((d) => ({ day: d.day, tokens: d.totals.tokens })),
      );
    } catch (err) {
      // The section still shows, without its chart.
      log.warn({ teamId, err: errorFields(err) }, 'usage chart failed; shown without it');
      return undefined;
    }
  };

  const sections: HomeSection[] = [
    { place: 'top', build: async (viewer) => userUsageBlocks(await userUsage(viewer)) },
    {
      place: 'bottom',
      build: async (viewer) => {
        if (!(await isAdmin(viewer.teamId, viewer.userId))) return [];
        const [workspace, fileId] = await Promise.all([workspaceUsage(viewer), chartFor(viewer.teamId)]);
        return adminUsageBlocks(workspace, fileId);
      },
    },
  ];

  /** `/ask usage`, privately through the command's response_url. */
  const command = async (request: AcceptedRequest): Promise<void> => {
    const viewer = { teamId: request.teamId, userId: request.userId };
    const [user, admin] = await Promise.all([userUsage(viewer), isAdmin(viewer.teamId, viewer.userId)]);
    const workspace = admin ? await workspaceUsage(viewer) : undefined;
    if (request.responseUrl)
      await deps.respond(request.responseUrl, {
        response_type: 'ephemeral',
        text: usageMessage(user, workspace),
      });
  };

  /** "Set a user's budget" clicked, or its modal submitted: admins only, checked here. */
  const work = async (job: BudgetJob): Promise<void> => {
    const jlog = log.child({ userId: job.userId, type: job.type });
    if (!(await isAdmin(job.teamId, job.userId))) {
      jlog.warn('budget change by a non-admin refused');
      return;
    }
    if (job.type === 'open') {
      if (job.triggerId)
        await deps.client.views.open({
          trigger_id: job.triggerId,
          view: budgetModal(budgets.userDailyTokens),
        });
      return;
    }
    if (!Number.isInteger(job.tokens) || job.tokens < 0 || job.tokens > MAX_BUDGET_TOKENS) return;
    const before = (await deps.overrides.get(job.teamId, job.targetUserId)) ?? budgets.userDailyTokens;
    await deps.overrides.set(job.teamId, job.targetUserId, job.tokens);
    const label = (v: number) => (v > 0 ? n(v) : 'no limit');
    await deps.audit.record(
      job.teamId,
      job.userId,
      `${job.targetUserId} daily tokens: ${label(before)} → ${label(job.tokens)}`,
    );
    jlog.info({ targetUserId: job.targetUserId, tokens: job.tokens }, 'daily token budget set');
    deps.home.schedule(job.teamId, job.targetUserId);
    await deps.home.publish(job.teamId, job.userId);
  };

  return { sections, command, work };
};

export type UsageOverview = ReturnType<typeof createUsageOverview>;
