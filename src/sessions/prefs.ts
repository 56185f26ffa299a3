import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Per-user preferences, kept in Redis. One for now: a DM when a background result is ready. */
export const createPrefs = (deps: { redis: Redis; keys: Pick<Keys, 'userPrefs'> }) => ({
  async dmOnResult(teamId: string, userId: string): Promise<boolean> {
    return (await deps.redis.hget(deps.keys.userPrefs(teamId, userId), 'dmOnResult')) === '1';
  },
  /** Whether the user has ever opened the Home tab (only then is it worth re-publishing). */
  async homeSeen(teamId: string, userId: string): Promise<boolean> {
    return (await deps.redis.hget(deps.keys.userPrefs(teamId, userId), 'homeSeen')) === '1';
  },
  async markHomeSeen(teamId: string, userId: string): Promise<void> {
    await deps.redis.hset(deps.keys.userPrefs(teamId, userId), 'homeSeen', '1');
  },
  async setDmOnResult(teamId: string, userId: string, on: boolean): Promise<void> {
    await deps.redis.hset(deps.keys.userPrefs(teamId, userId), 'dmOnResult', on ? '1' : '0');
  },
});

export type Prefs = ReturnType<typeof createPrefs>;
