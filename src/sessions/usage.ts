import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/**
 * Token usage, counted per user and per workspace, per UTC day and per month, in Redis: shared by
 * every process and kept across restarts. One MULTI per answer, so two processes recording at once
 * never lose an increment and a reader never sees a user's count without the workspace's.
 */

/** Days are kept 40 days (the 30-day trend, and a month's look back); months 410 days (13 months and more). */
export const DAY_TTL_SECONDS = 40 * 86_400;
export const MONTH_TTL_SECONDS = 410 * 86_400;

/** Whose call it was: the request's workspace and user. */
export interface UsageAccount {
  teamId: string;
  userId: string;
}

export interface UsageEntry {
  promptTokens: number;
  completionTokens: number;
  /** USD, when the model has a price (LLM_PRICES). */
  costUsd?: number;
  /** Counted with our tokenizer: the provider reported no usage. */
  estimated?: boolean;
}

export interface UsageTotals {
  tokens: number;
  promptTokens: number;
  completionTokens: number;
  /** USD, summed over the calls that had a price. */
  costUsd: number;
}

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const monthOf = (ms: number): string => new Date(ms).toISOString().slice(0, 7);
/** The next UTC midnight after `ms`, when daily budgets reset. */
export const nextUtcMidnight = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
};
const dayPeriod = (ms: number) => `d${dayOf(ms)}`;
const monthPeriod = (ms: number) => `m${monthOf(ms)}`;

const EMPTY: UsageTotals = { tokens: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };

const totalsOf = (h: Record<string, string> | null | undefined): UsageTotals => {
  if (!h) return { ...EMPTY };
  const n = (k: string) => Number(h[k] ?? 0) || 0;
  return {
    tokens: n('tokens'),
    promptTokens: n('prompt'),
    completionTokens: n('completion'),
    costUsd: n('costMicros') / 1e6,
  };
};

export interface UsageStoreDeps {
  redis: Redis;
  keys: Pick<Keys, 'usageUser' | 'usageTeam' | 'usageTop'>;
  now?: () => number;
}

export const createUsageStore = (deps: UsageStoreDeps) => {
  const { redis, keys } = deps;
  const now = deps.now ?? Date.now;

  const read = async (keysToRead: string[]): Promise<UsageTotals[]> => {
    const pipe = redis.pipeline();
    for (const k of keysToRead) pipe.hgetall(k);
    const replies = (await pipe.exec()) ?? [];
    return replies.map(([err, h]) => {
      if (err) throw err;
      return totalsOf(h as Record<string, string>);
    });
  };

  return {
    /** Adds one call's tokens (and cost) to the user's and the workspace's day and month. */
    async record(account: UsageAccount, entry: UsageEntry, at = now()): Promise<void> {
      const tokens = entry.promptTokens + entry.completionTokens;
      if (tokens <= 0 && !entry.costUsd) return;
      const { teamId, userId } = account;
      const multi = redis.multi();
      for (const [period, ttl] of [
        [dayPeriod(at), DAY_TTL_SECONDS],
        [monthPeriod(at), MONTH_TTL_SECONDS],
      ] as const) {
        for (const key of [keys.usageUser(teamId, userId, period), keys.usageTeam(teamId, period)]) {
          multi
            .hincrby(key, 'tokens', tokens)
            .hincrby(key, 'prompt', entry.promptTokens)
            .hincrby(key, 'completion', entry.completionTokens);
          if (entry.costUsd) multi.hincrbyfloat(key, 'costMicros', entry.costUsd * 1e6);
          if (entry.estimated) multi.hincrby(key, 'estimated', tokens);
          multi.expire(key, ttl);
        }
        const top = keys.usageTop(teamId, period);
        multi.zincrby(top, tokens, userId).expire(top, ttl);
      }
      const replies = await multi.exec();
      const failed = replies?.find(([err]) => err);
      if (failed) throw failed[0];
    },

    /** A user's and their workspace's usage today and this month. */
    async current(account: UsageAccount, at = now()) {
      const { teamId, userId } = account;
      const [userDay, userMonth, teamDay, teamMonth] = await read([
        keys.usageUser(teamId, userId, dayPeriod(at)),
        keys.usageUser(teamId, userId, monthPeriod(at)),
        keys.usageTeam(teamId, dayPeriod(at)),
        keys.usageTeam(teamId, monthPeriod(at)),
      ]);
      return {
        user: { day: userDay ?? { ...EMPTY }, month: userMonth ?? { ...EMPTY } },
        team: { day: teamDay ?? { ...EMPTY }, month: teamMonth ?? { ...EMPTY } },
      };
    },

    /** Tokens used today by the user and by the workspace: what the budget check reads. */
    async usedToday(account: UsageAccount, at = now()): Promise<{ user: number; team: number }> {
      const period = dayPeriod(at);
      const [user, team] = await redis
        .multi()
        .hget(keys.usageUser(account.teamId, account.userId, period), 'tokens')
        .hget(keys.usageTeam(account.teamId, period), 'tokens')
        .exec()
        .then((r) => (r ?? []).map(([, v]) => Number(v ?? 0) || 0));
      return { user: user ?? 0, team: team ?? 0 };
    },

    /** The workspace's tokens per UTC day, oldest first, the last `days` days (today included). */
    async trend(teamId: string, days = 30, at = now()): Promise<{ day: string; totals: UsageTotals }[]> {
      const dayList = Array.from({ length: days }, (_, i) => at - (days - 1 - i) * 86_400_000);
      const totals = await read(dayList.map((d) => keys.usageTeam(teamId, dayPeriod(d))));
      return dayList.map((d, i) => ({ day: dayOf(d), totals: totals[i] ?? { ...EMPTY } }));
    },

    /** The workspace's top users today (`day`) or this month, most tokens first. */
    async top(
      teamId: string,
      period: 'day' | 'month',
      count = 5,
      at = now(),
    ): Promise<{ userId: string; tokens: number }[]> {
      const key = keys.usageTop(teamId, period === 'day' ? dayPeriod(at) : monthPeriod(at));
      const flat = await redis.zrevrange(key, 0, count - 1, 'WITHSCORES');
      const out: { userId: string; tokens: number }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2)
        out.push({ userId: flat[i] as string, tokens: Number(flat[i + 1]) });
      return out;
    },
  };
};

export type UsageStore = ReturnType<typeof createUsageStore>;

/** Daily budgets admins set for single users, above (or below) USER_DAILY_TOKENS. */
export const createBudgetOverrides = (deps: { redis: Redis; keys: Pick<Keys, 'budgetOverrides'> }) => ({
  async get(teamId: string, userId: string): Promise<number | undefined> {
    const v = await deps.redis.hget(deps.keys.budgetOverrides(teamId), userId);
    return v === null ? undefined : Number(v);
  },
  async set(teamId: string, userId: string, tokens: number): Promise<void> {
    await deps.redis.hset(deps.keys.budgetOverrides(teamId), userId, String(tokens));
  },
});

export type BudgetOverrides = ReturnType<typeof createBudgetOverrides>;
