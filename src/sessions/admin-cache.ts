import type { Redis } from 'ioredis';
import type { AdminCache } from '../out/workspace-admins.js';
import type { Keys } from './keys.js';

/**
 * Whether a user is a workspace admin is kept five minutes: long enough that a burst of stop
 * clicks costs one users.info, short enough that a revoked admin loses the power soon.
 */
export const ADMIN_TTL_SECONDS = 300;

/** The cache of workspace-admins.ts, shared by every process ('1' or '0'). */
export const createAdminCache = (deps: { redis: Redis; keys: Pick<Keys, 'userAdmin'> }): AdminCache => ({
  async get(teamId, userId) {
    const v = await deps.redis.get(deps.keys.userAdmin(teamId, userId));
    return v === null ? undefined : v === '1';
  },
  async set(teamId, userId, isAdmin) {
    await deps.redis.set(deps.keys.userAdmin(teamId, userId), isAdmin ? '1' : '0', 'EX', ADMIN_TTL_SECONDS);
  },
});
