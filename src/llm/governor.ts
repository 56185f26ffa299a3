import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sleep as realSleep, type Sleep } from '../core/time.js';
import type { Keys } from '../sessions/keys.js';
import type { RateLimitHints } from './ratelimit-headers.js';

/**
 * The LLM governor: one budget per API key, in Redis, shared by every process. Providers limit
 * requests and tokens per minute per key (RPM/TPM), so N processes that each pace themselves spend
 * N times the budget and draw 429s. Three limits, each one Lua round trip to take:
 *
 * - requests and tokens per minute: token buckets that refill continuously (a full minute's worth
 *   at most), the way OpenAI replenishes its own limits;
 * - calls at once: leases in a sorted set scored by expiry, renewed while the call runs (one timer
 *   and one trip per process for all its calls), so a dead process's slots lapse on their own.
 *
 * Foreground calls (a user is watching) may use the whole budget; background calls leave a reserved
 * share of each limit untouched. The provider's `x-ratelimit-*` headers tighten the buckets (and a
 * 429's `retry-after` holds every call) when the provider knows better than our settings.
 */

export type LlmPriority = 'foreground' | 'background';

export interface GovernorLimits {
  /** Requests per minute; 0: no limit (unless the provider's headers set one). */
  rpm: number;
  /** Tokens per minute (prompt + max answer tokens, as the provider counts them); 0: no limit. */
  tpm: number;
  /** Calls in flight at once across all processes; 0: no limit. */
  concurrency: number;
  /** Fraction (0–1) of each limit that background calls leave for the foreground. */
  foregroundReserve: number;
}

/**
 * The buckets' levels now. KEYS: 1 leases (zset id → expiry), 2 buckets (hash). ARGV: 1 now,
 * 2 rpm, 3 tpm (0: none). Bucket fields: r / t (level), at (last refill), rl / tl (limit learned
 * from the provider's headers), hold (ms epoch before which nothing is sent).
 */
const LEVELS = `
local now = tonumber(ARGV[1])
local b = redis.call('HMGET', KEYS[2], 'r', 't', 'at', 'rl', 'tl', 'hold')
local function limit(configured, learned)
  learned = tonumber(learned or '0')
  if configured > 0 and learned > 0 then return math.min(configured, learned) end
  if configured > 0 then return configured end
  return learned
end
local rl = limit(tonumber(ARGV[2]), b[4])
local tl = limit(tonumber(ARGV[3]), b[5])
local elapsed = math.max(0, now - tonumber(b[3] or ARGV[1]))
local function level(cur, lim)
  if lim <= 0 then return 0 end
  return math.min(lim, tonumber(cur or lim) + elapsed * lim / 60000)
end
local r = level(b[1], rl)
local t = level(b[2], tl)
local hold = tonumber(b[6] or '0')
`;

/**
 * ARGV: 4 id, 5 leaseMs, 6 concurrency cap for this priority (0: none), 7 tokens, 8 reserve.
 * Returns {1, 0} when taken, else {0, ms to wait (0: unknown, poll)}.
 */
const ACQUIRE = `${LEVELS}
if hold > now then return {0, hold - now} end
local cap = tonumber(ARGV[6])
if cap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= cap then return {0, 0} end
end
local reserve = tonumber(ARGV[8])
local tokens = math.min(tonumber(ARGV[7]), tl)
local wait = 0
if rl > 0 then
  local need = 1 + math.floor(rl * reserve)
  if r < need then wait = math.max(wait, (need - r) * 60000 / rl) end
end
if tl > 0 then
  local need = tokens + math.floor(tl * reserve)
  if t < need then wait = math.max(wait, (need - t) * 60000 / tl) end
end
if wait > 0 then return {0, math.ceil(wait)} end
redis.call('HSET', KEYS[2], 'r', r - 1, 't', t - tokens, 'at', now)
redis.call('PEXPIRE', KEYS[2], 3600000)
if cap > 0 then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), ARGV[4])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]) * 2)
end
return {1, 0}
`;

/**
 * ARGV: 1 now, 2 leaseMs, 3… ids. Moves this process's running calls' leases on, all in one trip
 * (and takes back one that had lapsed).
 */
const RENEW = `
local expiry = tonumber(ARGV[1]) + tonumber(ARGV[2])
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], expiry, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 1
`;

/** ARGV: 1 id, 2 tokens to give back (charged beyond what the call used; the next refill caps the level). */
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
local back = tonumber(ARGV[2])
if back > 0 and redis.call('HEXISTS', KEYS[2], 't') == 1 then
  redis.call('HINCRBYFLOAT', KEYS[2], 't', back)
end
return 1
`;

/**
 * ARGV: 4 remaining requests, 5 remaining tokens, 6 limit requests, 7 limit tokens (each -1:
 * unknown), 8 hold until (0: none). The provider's limits replace larger settings; its view of what
 * is left caps ours; a hold (a 429's retry-after, or nothing left until a reset) stops every call.
 */
const OBSERVE = `${LEVELS}
local lr = tonumber(ARGV[6])
local lt = tonumber(ARGV[7])
-- A limit known only now starts full (the stored level meant nothing without one).
local function learn(field, learned, configured, lim, cur)
  if learned <= 0 then return lim, cur end
  redis.call('HSET', KEYS[2], field, learned)
  local now_lim = limit(configured, learned)
  if lim <= 0 then return now_lim, now_lim end
  return now_lim, math.min(cur, now_lim)
end
rl, r = learn('rl', lr, tonumber(ARGV[2]), rl, r)
tl, t = learn('tl', lt, tonumber(ARGV[3]), tl, t)
local rr = tonumber(ARGV[4])
local rt = tonumber(ARGV[5])
if rr >= 0 and rl > 0 then r = math.min(r, rr) end
if rt >= 0 and tl > 0 then t = math.min(t, rt) end
redis.call('HSET', KEYS[2], 'r', r, 't', t, 'at', now)
local holdUntil = tonumber(ARGV[8])
if holdUntil > now and holdUntil > hold then redis.call('HSET', KEYS[2], 'hold', holdUntil) end
redis.call('PEXPIRE', KEYS[2], 3600000)
return 1
`;

export interface GovernorDeps {
  redis: Redis;
  keys: Pick<Keys, 'llmLeases' | 'llmBudget'>;
  limits: GovernorLimits;
  /** A call's slot lapses this long after its last renewal (a dead process's slots free themselves). */
  leaseMs?: number;
  /** Longest pause between two tries while waiting for a slot (no refill time to wait for). */
  pollMs?: number;
  now?: () => number;
  sleep?: Sleep;
  random?: () => number;
}

/** A taken slot: give it back with the tokens the call really used (the rest is returned to the bucket). */
export interface GovernorLease {
  release(usedTokens?: number): Promise<void>;
}

export type TryAcquire = { ok: true; lease: GovernorLease } | { ok: false; waitMs: number };

/** The number of calls background may have at once: the foreground's share stays free (at least one call). */
export const backgroundCap = (concurrency: number, reserve: number): number => {
  if (concurrency <= 0) return 0;
  return Math.max(1, concurrency - Math.ceil(concurrency * reserve));
};

export const createLlmGovernor = (deps: GovernorDeps) => {
  const { redis, limits } = deps;
  const leaseMs = deps.leaseMs ?? 30_000;
  const pollMs = deps.pollMs ?? 200;
  const now = deps.now ?? Date.now;
  const wait = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const leases = deps.keys.llmLeases();
  const budget = deps.keys.llmBudget();

  // The leases of this process's running calls, renewed together by one timer at a third of the
  // lease (two late renewals still keep a slot); no timer while none runs.
  const running = new Set<string>();
  let renewal: ReturnType<typeof setInterval> | undefined;
  const renew = () => {
    redis.eval(RENEW, 1, leases, String(now()), String(leaseMs), ...running).catch(() => undefined);
  };

  const lease = (id: string, tokens: number, concurrency: boolean): GovernorLease => {
    if (concurrency) {
      running.add(id);
      renewal ??= setInterval(renew, leaseMs / 3);
      renewal.unref();
    }
    let released = false;
    return {
      async release(usedTokens) {
        if (released) return;
        released = true;
        running.delete(id);
        if (running.size === 0) {
          clearInterval(renewal);
          renewal = undefined;
        }
        const back = usedTokens === undefined ? 0 : Math.max(0, tokens - usedTokens);
        // Nothing to take back: no slot was held and no tokens are returned.
        if (!concurrency && back === 0) return;
        await redis.eval(RELEASE, 2, leases, budget, id, String(back));
      },
    };
  };

  const tryAcquire = async (priority: LlmPriority, tokens: number): Promise<TryAcquire> => {
    const reserve = priority === 'background' ? Math.min(1, Math.max(0, limits.foregroundReserve)) : 0;
    const cap =
      priority === 'background'
        ? backgroundCap(limits.concurrency, reserve)
        : Math.max(0, limits.concurrency);
    const id = randomUUID();
    const out = (await redis.eval(
      ACQUIRE,
      2,
      leases,
      budget,
      String(now()),
      String(limits.rpm),
      String(limits.tpm),
      id,
      String(leaseMs),
      String(cap),
      String(Math.max(0, Math.ceil(tokens))),
      String(reserve),
    )) as [number, number];
    if (out[0] === 1) return { ok: true, lease: lease(id, tokens, cap > 0) };
    return { ok: false, waitMs: out[1] };
  };

  return {
    tryAcquire,
    /** Waits (polling Redis) until the call fits the budget; rejects with the signal's reason on abort. */
    async acquire(
      priority: LlmPriority,
      tokens: number,
      opts: { signal?: AbortSignal; onWait?: (waitMs: number) => void } = {},
    ): Promise<GovernorLease> {
      for (;;) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        const got = await tryAcquire(priority, tokens);
        if (got.ok) return got.lease;
        // A refill time is exact; a full set of slots frees at an unknown time: poll, with jitter
        // so waiting processes do not all ask at once.
        const base = got.waitMs > 0 ? Math.min(got.waitMs, 5_000) : pollMs;
        const ms = Math.max(5, Math.round(base * (0.5 + random())));
        opts.onWait?.(ms);
        await wait(ms, opts.signal);
      }
    },
    /** What the provider said about the key's budget (response headers, or a 429's retry-after). */
    async observe(h: RateLimitHints): Promise<void> {
      const at = now();
      const holdUntil = h.holdMs !== undefined && h.holdMs > 0 ? at + h.holdMs : 0;
      await redis.eval(
        OBSERVE,
        2,
        leases,
        budget,
        String(at),
        String(limits.rpm),
        String(limits.tpm),
        String(h.remainingRequests ?? -1),
        String(h.remainingTokens ?? -1),
        String(h.limitRequests ?? -1),
        String(h.limitTokens ?? -1),
        String(holdUntil),
      );
    },
    /** Calls in flight now, across every process (for tests and metrics). */
    async inFlight(): Promise<number> {
      return redis.zcount(leases, now(), '+inf');
    },
    leaseMs,
  };
};

export type LlmGovernor = ReturnType<typeof createLlmGovernor>;
