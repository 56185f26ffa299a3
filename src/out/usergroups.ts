import type { WebClient } from '@slack/web-api';
import type { SlackCall } from './slack-call.js';

/** Where user groups' members are cached between look-ups (a sessions store). */
export interface UsergroupCache {
  get(teamId: string, groupId: string): Promise<string[] | undefined>;
  set(teamId: string, groupId: string, members: string[]): Promise<void>;
}

export interface UsergroupsDeps {
  client: Pick<WebClient, 'usergroups'>;
  call: SlackCall;
  cache: UsergroupCache;
}

/**
 * Members of a workspace's user groups (`usergroups.users.list`, scope `usergroups:read`), cached
 * a few minutes: the policy's `allowedUserGroups` asks on every request. A failed look-up throws.
 */
export const createUsergroups = (deps: UsergroupsDeps) => ({
  async members(teamId: string, groupId: string): Promise<string[]> {
    const cached = await deps.cache.get(teamId, groupId);
    if (cached) return cached;
    const res = await deps.call('usergroups.users.list', '*', () =>
      deps.client.usergroups.users.list({ usergroup: groupId }),
    );
    const members = res.users ?? [];
    await deps.cache.set(teamId, groupId, members);
    return members;
  },
});

export type Usergroups = ReturnType<typeof createUsergroups>;
