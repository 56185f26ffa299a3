import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/**
 * A user's preferences expire this long after they last opened the Home tab, changed a preference
 * or got a result DM, so users who left stop costing memory while active users keep their choice.
 */
export const PREFS_TTL_SECONDS = 90 * 86_400;

/**
 * The Home page a user paged to is kept this long after their last paging click: re-publishes on a
 * state change (from any process) keep them on it, and a user who comes back later starts on the
 * newest sessions again.
 */
export const HOME_PAGE_TTL_SECONDS = 3_600;

export interface PrefsDeps {
  redis: Redis;
  keys: Pick<Keys, 'userPrefs' | 'userHomePage'>;
  ttlSeconds?: number;
  pageTtlSeconds?: number;
}

/** Per-user preferences, kept in Redis. One for now: a DM when a background result is ready. */
export const createPrefs = (deps: PrefsDeps) => {
  const ttl = deps.ttlSeconds ?? PREFS_TTL_SECONDS;
  const pageTtl = deps.pageTtlSeconds ?? HOME_PAGE_TTL_SECONDS;
  const field = async (teamId: string, userId: string, name: string) =>
    deps.redis.hget(deps.keys.userPrefs(teamId, userId), name);
  /** Every write refreshes the expiry of the whole hash. */
  const write = async (teamId: string, userId: string, name: string, value: string) => {
    const key = deps.keys.userPrefs(teamId, userId);
    await deps.redis.multi().hset(key, name, value).expire(key, ttl).exec();
  };

  return {
    async dmOnResult(teamId: string, userId: string): Promise<boolean> {
      return (await field(teamId, userId, 'dmOnResult')) === '1';
    },
    /**
     * When the user last opened the Home tab (epoch ms; 0 when unknown), if they ever did (only then
     * is it worth re-publishing). Slack says when a user
     * opens the tab, never when they leave it: a recent opening is the best guess that they look.
     */
    async homeOpenedAt(teamId: string, userId: string): Promise<number | undefined> {
      const [seen, at] = await deps.redis.hmget(
        deps.keys.userPrefs(teamId, userId),
        'homeSeen',
        'homeOpenedAt',
      );
      if (seen !== '1') return undefined;
      const t = Number(at);
      return Number.isFinite(t) && at !== null ? t : 0;
    },
    /** The user opened the Home tab: a write, so it also refreshes the preferences' expiry. */
    async markHomeSeen(teamId: string, userId: string): Promise<void> {
      const key = deps.keys.userPrefs(teamId, userId);
      await deps.redis
        .multi()
        .hset(key, 'homeSeen', '1', 'homeOpenedAt', String(Date.now()))
        .expire(key, ttl)
        .exec();
    },
    async setDmOnResult(teamId: string, userId: string, on: boolean): Promise<void> {
      await write(teamId, userId, 'dmOnResult', on ? '1' : '0');
    },
    /** The preferences were used (a result DM went out): keep them as long as a write would. */
    async touch(teamId: string, userId: string): Promise<void> {
      await deps.redis.expire(deps.keys.userPrefs(teamId, userId), ttl);
    },
    /** The Home page the user is on (0, the newest sessions, when none is kept); the view clamps it. */
    async homePage(teamId: string, userId: string): Promise<number> {
      const page = Number(await deps.redis.get(deps.keys.userHomePage(teamId, userId)));
      return Number.isSafeInteger(page) && page >= 0 ? page : 0;
    },
    async setHomePage(teamId: string, userId: string, page: number): Promise<void> {
      await deps.redis.set(deps.keys.userHomePage(teamId, userId), String(page), 'EX', pageTtl);
    },
  };
};

export type Prefs = ReturnType<typeof createPrefs>;
