import type { Redis } from 'ioredis';
import type { Keys } from '../sessions/keys.js';

/**
 * Per-user limits on background work, on Redis (open-source BullMQ has no per-group concurrency).
 *
 * - Running slots: a sorted set per user of job ids, scored by lease expiry. A worker takes a slot
 *   before running a job and renews it while running; a dead worker's slot lapses on its own.
 * - Queued cap: a sorted set per user of request ids waiting or running in the background.
 */
const ACQUIRE = `
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  return 1
end
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  return 1
end
return 0
`;

/**
 * Renewal moves the slot's lease on and the key's expiry with it: a ZADD alone leaves the expiry
 * set at the first acquire (2 leases), and the key, with every slot in it, would vanish under a
 * job that runs longer. A slot that lapsed (renewals were late) is taken back: the job is running,
 * so it counts. Returns 1 when the slot had lapsed.
 */
const RENEW = `
local added = redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
return added
`;

const ADD_QUEUED = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[4]) * 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

export interface FairnessDeps {
  redis: Redis;
  keys: Pick<Keys, 'userRunning' | 'userQueued'>;
  maxRunning: number;
  maxQueued: number;
  /** A running slot lapses this long after its last renewal (a dead worker's slot frees itself). */
  leaseMs?: number;
  /** Queued entries older than this are dropped (a lost job must not block its user forever). */
  queuedTtlSeconds?: number;
  now?: () => number;
}

export const createFairness = (deps: FairnessDeps) => {
  const leaseMs = deps.leaseMs ?? 60_000;
  const queuedTtl = deps.queuedTtlSeconds ?? 86_400;
  const now = deps.now ?? Date.now;
  return {
    async acquireRunning(teamId: string, userId: string, jobId: string): Promise<boolean> {
      const key = deps.keys.userRunning(teamId, userId);
      return (
        (await deps.redis.eval(
          ACQUIRE,
          1,
          key,
          jobId,
          String(now()),
          String(leaseMs),
          String(deps.maxRunning),
        )) === 1
      );
    },
    /** Extends the job's slot by a lease; true when the slot had lapsed and was taken back. */
    async renewRunning(teamId: string, userId: string, jobId: string): Promise<boolean> {
      const key = deps.keys.userRunning(teamId, userId);
      return (await deps.redis.eval(RENEW, 1, key, jobId, String(now()), String(leaseMs))) === 1;
    },
    async releaseRunning(teamId: string, userId: string, jobId: string): Promise<void> {
      await deps.redis.zrem(deps.keys.userRunning(teamId, userId), jobId);
    },
    /** Counts a request against the user's queued cap; false when the user is at the cap. */
    async addQueued(teamId: string, userId: string, requestId: string): Promise<boolean> {
      const key = deps.keys.userQueued(teamId, userId);
      // Entries older than the TTL (a lost job) are dropped in the same step.
      return (
        (await deps.redis.eval(
          ADD_QUEUED,
          1,
          key,
          requestId,
          String(now()),
          String(deps.maxQueued),
          String(queuedTtl),
        )) === 1
      );
    },
    async removeQueued(teamId: string, userId: string, requestId: string): Promise<void> {
      await deps.redis.zrem(deps.keys.userQueued(teamId, userId), requestId);
    },
    leaseMs,
  };
};

export type Fairness = ReturnType<typeof createFairness>;

/**
 * A sliding one-minute window per user, counted by request id: a request that goes back to wait
 * (its thread is busy) or is re-run after a crash is admitted again without counting twice.
 * Refused requests are not recorded, so the set holds at most `perMinute` ids per minute kept.
 */
const ADMIT = `
local now = tonumber(ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[5]))
if redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[3]), '+inf') >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

const WINDOW_MS = 60_000;

export const createRateLimiter = (deps: {
  redis: Redis;
  keys: Pick<Keys, 'userRate'>;
  perMinute: number;
  /** How long an admitted request stays admitted: longer than it can wait for its thread. */
  rememberMs?: number;
  now?: () => number;
}) => ({
  /** Whether this request fits in the user's last minute; the same request id is admitted once. */
  async admit(teamId: string, userId: string, requestId: string): Promise<boolean> {
    const remember = Math.max(WINDOW_MS, deps.rememberMs ?? 15 * 60_000);
    return (
      (await deps.redis.eval(
        ADMIT,
        1,
        deps.keys.userRate(teamId, userId),
        requestId,
        String((deps.now ?? Date.now)()),
        String(WINDOW_MS),
        String(deps.perMinute),
        String(remember),
      )) === 1
    );
  },
});

export type RateLimiter = ReturnType<typeof createRateLimiter>;
