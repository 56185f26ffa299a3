import type { WebClient } from '@slack/web-api';
import type { SlackCall } from './slack-call.js';

/** Where whether a user is an admin is cached between look-ups (a sessions store). */
export interface AdminCache {
  /** The cached answer, or undefined when it is not cached. */
  get(teamId: string, userId: string): Promise<boolean | undefined>;
  set(teamId: string, userId: string, isAdmin: boolean): Promise<void>;
}

export interface WorkspaceAdminsDeps {
  client: Pick<WebClient, 'users'>;
  /** The poster's kind of call: through the shared Slack budget, Slack's errors as AppError. */
  call: SlackCall;
  cache: AdminCache;
}

/**
 * Whether a Slack user is a workspace admin or owner (`users.info`: `is_admin`, `is_owner`,
 * `is_primary_owner`), cached briefly: users.info is rate-limited, and a stop click from a
 * non-requester is the only thing that asks. A failed look-up throws; the caller decides.
 */
export const createWorkspaceAdmins = (deps: WorkspaceAdminsDeps) => ({
  async isAdmin(teamId: string, userId: string): Promise<boolean> {
    const cached = await deps.cache.get(teamId, userId);
    if (cached !== undefined) return cached;
    const res = await deps.call('users.info', '*', () => deps.client.users.info({ user: userId }));
    const u = res.user;
    const admin = u?.is_admin === true || u?.is_owner === true || u?.is_primary_owner === true;
    await deps.cache.set(teamId, userId, admin);
    return admin;
  },
});

export type WorkspaceAdmins = ReturnType<typeof createWorkspaceAdmins>;
