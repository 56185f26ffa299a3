import type { Redis } from 'ioredis';
import type { MethodLimit } from './slack-limits.js';
import { budgetOf } from './slack-limits.js';

/**
 * Where the Slack budget lives. The Redis store is the one every process shares: one token bucket
 * per (team, method) or (team, method, channel), and a pause key per bucket that a 429 sets for its
 * Retry-After. A call costs one round trip (EVALSHA of the script below).
 *
 * Why a Lua bucket and not `rate-limiter-flexible`: its limiters count points in windows and
 * answer "no, retry in n ms"; what we need besides is a priority floor (background may not take the
 * last tokens, foreground may take a token that is still refilling and wait for it), the shared
 * 429 pause checked in the same round trip, and the tokens left for /metrics. That is 30 lines of
 * Lua, with no dependency, and the clock is Redis's own (TIME), so processes on different hosts
 * agree on it.
 */

export type Priority = 'foreground' | 'background' | 'optional';

export interface BucketKey {
  team: string;
  method: string;
  /** Set for methods limited per channel. */
  channel?: string;
}

export type Take =
  /** Go, after `waitMs` (a foreground call that took a token still refilling). */
  | { ok: true; waitMs: number; tokens: number | undefined }
  /** Not now: try again in `waitMs`; `paused` when a 429 paused the key. */
  | { ok: false; waitMs: number; paused: boolean; tokens: number | undefined };

export interface TakeRequest {
  key: BucketKey;
  limit: MethodLimit | undefined;
  priority: Priority;
  /** A foreground call may take a token up to this far ahead and wait for it (0: only a token now). */
  oweMs: number;
}

export interface BudgetStore {
  take(req: TakeRequest): Promise<Take>;
  /** Pauses the key's calls in every process for `ms`. */
  pause(key: BucketKey, ms: number): Promise<void>;
}

/**
 * Tokens a call of each priority must leave in the bucket, as a share of (burst − 1): foreground
 * may empty it; background leaves half of it to foreground; optional writes go only when it is
 * nearly full, so they are the first thing to give way.
 */
const FLOOR_SHARE: Readonly<Record<Priority, number>> = {
  foreground: 0,
  background: 0.5,
  optional: 0.75,
};

// KEYS[1] bucket (hash: tokens, at), KEYS[2] pause. ARGV: perMinute (0: unpaced), burst, floor,
// oweMs. Returns {ok 1|0|-1 (paused), waitMs, tokens × 1000, 1 when paced}.
const TAKE_SCRIPT = `
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then return {-1, pause, 0, 0} end
local perMinute = tonumber(ARGV[1])
if perMinute <= 0 then return {1, 0, 0, 0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = perMinute / 60000
local burst = tonumber(ARGV[2])
local floor = tonumber(ARGV[3])
local oweMs = tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local ok, wait = 1, 0
if tokens - 1 >= floor then
  tokens = tokens - 1
elseif floor == 0 and (1 - tokens) / rate <= oweMs then
  tokens = tokens - 1
  wait = math.ceil(-tokens / rate)
else
  ok = 0
  wait = math.ceil((floor + 1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 60000)
return {ok, wait, math.floor(tokens * 1000), 1}
`;

interface BudgetRedis extends Redis {
  slackBudgetTake(
    bucket: string,
    pause: string,
    ...args: (string | number)[]
  ): Promise<[number, number, number, number]>;
}

/**
 * Keys carry a hash tag around the bucket's name, so a bucket and its pause land in one Redis
 * Cluster slot (a prefix with its own `{…}` tag keeps that tag, which is as good).
 */
export const budgetKeys = (prefix: string, key: BucketKey): { bucket: string; pause: string } => {
  const name = `{${key.team}:${key.method}${key.channel !== undefined ? `:${key.channel}` : ''}}`;
  return { bucket: `${prefix}:slack-budget:${name}`, pause: `${prefix}:slack-pause:${name}` };
};

const floorOf = (burst: number, priority: Priority) => (burst - 1) * FLOOR_SHARE[priority];

export const createRedisBudgetStore = (deps: { redis: Redis; prefix: string }): BudgetStore => {
  const redis = deps.redis as BudgetRedis;
  if (typeof redis.slackBudgetTake !== 'function')
    redis.defineCommand('slackBudgetTake', { numberOfKeys: 2, lua: TAKE_SCRIPT });
  return {
    take: async ({ key, limit, priority, oweMs }) => {
      const { bucket, pause } = budgetKeys(deps.prefix, key);
      const budget = limit ? budgetOf(limit) : { perMinute: 0, burst: 0 };
      const [ok, waitMs, milli, paced] = await redis.slackBudgetTake(
        bucket,
        pause,
        budget.perMinute,
        budget.burst,
        floorOf(budget.burst, priority),
        priority === 'foreground' ? oweMs : 0,
      );
      const tokens = paced === 1 ? milli / 1000 : undefined;
      return ok === 1 ? { ok: true, waitMs, tokens } : { ok: false, waitMs, paused: ok === -1, tokens };
    },
    pause: async (key, ms) => {
      await redis.set(budgetKeys(deps.prefix, key).pause, '1', 'PX', Math.max(1, Math.ceil(ms)));
    },
  };
};

/**
 * This process's memory: only the 429 pauses, no pacing. For a poster that has no Redis (unit
 * tests of the writing itself); every running process uses the Redis store.
 */
export const createLocalBudgetStore = (now: () => number): BudgetStore => {
  const until = new Map<string, number>();
  const name = (k: BucketKey) => budgetKeys('', k).pause;
  return {
    take: async ({ key }) => {
      const left = (until.get(name(key)) ?? 0) - now();
      return left > 0
        ? { ok: false, waitMs: left, paused: true, tokens: undefined }
        : { ok: true, waitMs: 0, tokens: undefined };
    },
    pause: async (key, ms) => {
      until.set(name(key), Math.max(until.get(name(key)) ?? 0, now() + ms));
    },
  };
};
