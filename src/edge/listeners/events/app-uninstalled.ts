import type { App } from '@slack/bolt';
import { z } from 'zod';
import { AppError } from '../../../core/errors.js';
import type { InstallationRedisStore } from '../../../sessions/installations.js';
import { type EventDeps, readEvent, storeEvent } from './read-event.js';

export interface UninstallDeps extends EventDeps {
  /** OAuth mode: the installations (single-workspace mode has none to delete). */
  installations?: Pick<InstallationRedisStore, 'deleteInstallation'> | undefined;
}

const uninstalledSchema = z.object({ type: z.literal('app_uninstalled') });
const revokedSchema = z.object({
  type: z.literal('tokens_revoked'),
  tokens: z.object({ bot: z.array(z.string()).max(100).optional() }).loose(),
});
const envelopeSchema = z.object({
  enterprise_id: z.string().nullish(),
  is_enterprise_install: z.boolean().optional(),
  authorizations: z.array(z.object({ is_enterprise_install: z.boolean().optional() }).loose()).optional(),
});

/**
 * `app_uninstalled`, and `tokens_revoked` for the bot's token: the workspace's installation is
 * deleted before the ack (from then on Bolt's authorize finds none, and jobs none), and a purge of
 * its queued answers and data is written as intake work, done within minutes (queue/team-purge.ts).
 * Bolt runs these two events without authorizing them. A user token revoked changes nothing: the
 * bot does not use user tokens.
 */
export const registerAppUninstalled = (app: App, deps: UninstallDeps) => {
  const forget = async (
    body: unknown,
    read: { teamId: string; eventId: string },
    reason: 'app_uninstalled' | 'tokens_revoked',
  ) => {
    const env = envelopeSchema.safeParse(body);
    const enterpriseId = env.success ? (env.data.enterprise_id ?? undefined) : undefined;
    const orgWide =
      env.success &&
      (env.data.is_enterprise_install === true ||
        env.data.authorizations?.[0]?.is_enterprise_install === true);
    const query =
      orgWide && enterpriseId
        ? { teamId: undefined, enterpriseId, isEnterpriseInstall: true as const }
        : { teamId: read.teamId, enterpriseId, isEnterpriseInstall: false as const };
    await deps.installations?.deleteInstallation(query).catch((cause: unknown) => {
      throw new AppError('redis_unavailable', 'could not delete the installation', {
        cause,
        retryable: true,
      });
    });
    await storeEvent(deps, 'teamUninstalled', 'uninstalled', read, {
      teamId: read.teamId,
      ...(enterpriseId ? { enterpriseId } : {}),
      reason,
      sweep: 0,
    });
    deps.logger.info({ teamId: read.teamId, enterpriseId, orgWide, reason }, 'app removed from a workspace');
  };

  app.event('app_uninstalled', async ({ event, body }) => {
    const read = readEvent(deps, uninstalledSchema, event, body, 'app_uninstalled');
    if (read) await forget(body, read, 'app_uninstalled');
  });
  app.event('tokens_revoked', async ({ event, body }) => {
    const read = readEvent(deps, revokedSchema, event, body, 'tokens_revoked');
    if (read && (read.e.tokens.bot?.length ?? 0) > 0) await forget(body, read, 'tokens_revoked');
  });
};
