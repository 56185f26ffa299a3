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
 * `is_primary_owner`), cached briefly: users.info is rate-limited. One per process, shared by all
 * who ask (the stop button, the Home tab's Admin and usage sections, their modals): look-ups of the
 * same user at the same time (an admin's Home builds both sections at once) share one call. A
 * failed look-up throws; the caller decides.
 */
export const createWorkspaceAdmins = (deps: WorkspaceAdminsDeps) => {
  const inFlight = new Map<string, Promise<boolean>>();
  const lookUp = async (teamId: string, userId: string): Promise<boolean> => {
    const cached = await deps.cache.get(teamId, userId);
    if (cached !== undefined) return cached;
    const res = await deps.call('users.info', '*', () => deps.client.users.info({ user: userId }));
    const u = res.user;
    const admin = u?.is_admin === true || u?.is_owner === true || u?.is_primary_owner === true;
    await deps.cache.set(teamId, userId, admin);
    return admin;
  };
  return {
    isAdmin(teamId: string, userId: string): Promise<boolean> {
      const key = `${teamId}:${userId}`;
      const pending = inFlight.get(key);
      if (pending) return pending;
      const asked = lookUp(teamId, userId).finally(() => inFlight.delete(key));
      inFlight.set(key, asked);
      return asked;
    },
  };
};

export type WorkspaceAdmins = ReturnType<typeof createWorkspaceAdmins>;
