import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { UsergroupCache } from '../out/usergroups.js';
import type { Keys } from './keys.js';

/** A user group's members are kept five minutes: a change in Slack reaches the allowlist soon. */
export const USERGROUP_TTL_SECONDS = 300;

const membersSchema = z.array(z.string());

/** The cache of usergroups.ts, shared by every process. */
export const createUsergroupCache = (deps: {
  redis: Redis;
  keys: Pick<Keys, 'usergroupMembers'>;
}): UsergroupCache => ({
  async get(teamId, groupId) {
    const raw = await deps.redis.get(deps.keys.usergroupMembers(teamId, groupId));
    if (raw === null) return undefined;
    try {
      const parsed = membersSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  },
  async set(teamId, groupId, members) {
    const key = deps.keys.usergroupMembers(teamId, groupId);
    await deps.redis.set(key, JSON.stringify(members), 'EX', USERGROUP_TTL_SECONDS);
  },
});
