import type { Redis } from 'ioredis';
import type { NameCache } from '../out/threads.js';
import type { Keys } from './keys.js';

/** A looked-up name is kept a day: a renamed user shows the new name by the next day. */
export const NAME_TTL_SECONDS = 86_400;

/**
 * The thread reader's cache of Slack users' names (users.info is rate-limited, and every turn of a
 * thread names its author). A user without a name is cached as '' so they are not looked up again.
 */
export const createNameCache = (deps: { redis: Redis; keys: Pick<Keys, 'userName'> }): NameCache => ({
  async get(userId) {
    return (await deps.redis.get(deps.keys.userName(userId))) ?? undefined;
  },
  async set(userId, name) {
    await deps.redis.set(deps.keys.userName(userId), name, 'EX', NAME_TTL_SECONDS);
  },
});
