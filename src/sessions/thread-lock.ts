import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Keys } from './keys.js';

export interface ThreadRef {
  teamId: string;
  channelId: string;
  threadTs: string;
}

/** Enters one message in its thread's order; runs inside the intake's confirming MULTI. */
export interface ThreadOrder {
  enter(multi: ChainableCommander): void;
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** A waiting entry older than this is taken for lost (its job failed for good) and skipped. */
const STALE_SECONDS = 15 * 60;
const ORDER_TTL_SECONDS = 86_400;

/**
 * One answer at a time per thread, in the order the messages were sent, across processes. At
 * intake each request enters its thread's waiting set (scored by message ts); an answer starts only
 * when its message is the oldest one waiting and it holds the thread's lock (renewed while held,
 * expiring if its holder dies). So two messages arriving together are answered in order, each with
 * the answers before it, never interleaved.
 */
export const createThreadLocks = (deps: {
  redis: Redis;
  keys: Pick<Keys, 'threadLock' | 'threadQueue'>;
  ttlMs?: number;
  /** Give up waiting after this long and go ahead anyway (a stuck thread must not block forever). */
  maxWaitMs?: number;
  pollMs?: number;
}) => {
  const ttlMs = deps.ttlMs ?? 30_000;
  const maxWaitMs = deps.maxWaitMs ?? 300_000;
  const pollMs = deps.pollMs ?? 50;

  const isMyTurn = async (queueKey: string, ts: string): Promise<boolean> => {
    const [head, score] = await deps.redis.zrange(queueKey, 0, 0, 'WITHSCORES');
    if (head === undefined || head === ts) return true;
    if (Date.now() / 1000 - Number(score) > STALE_SECONDS) {
      await deps.redis.zrem(queueKey, head);
      return false;
    }
    // Not queued at all (e.g. recovered without an entry): only the lock orders it.
    return (await deps.redis.zscore(queueKey, ts)) === null;
  };

  return {
    order(thread: ThreadRef, ts: string): ThreadOrder {
      const key = deps.keys.threadQueue(thread.teamId, thread.channelId, thread.threadTs);
      return { enter: (multi) => void multi.zadd(key, Number(ts), ts).expire(key, ORDER_TTL_SECONDS) };
    },
    async run<T>(thread: ThreadRef, ts: string, fn: () => Promise<T>): Promise<T> {
      const lockKey = deps.keys.threadLock(thread.teamId, thread.channelId, thread.threadTs);
      const queueKey = deps.keys.threadQueue(thread.teamId, thread.channelId, thread.threadTs);
      const token = randomUUID();
      const deadline = Date.now() + maxWaitMs;
      let held = false;
      while (Date.now() < deadline) {
        if (await isMyTurn(queueKey, ts)) {
          held = (await deps.redis.set(lockKey, token, 'PX', ttlMs, 'NX')) === 'OK';
          if (held) break;
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
      const renew = held
        ? setInterval(
            () => void deps.redis.eval(RENEW, 1, lockKey, token, String(ttlMs)).catch(() => {}),
            ttlMs / 3,
          )
        : undefined;
      try {
        return await fn();
      } finally {
        clearInterval(renew);
        await deps.redis.zrem(queueKey, ts).catch(() => {});
        if (held) await deps.redis.eval(RELEASE, 1, lockKey, token).catch(() => {});
      }
    },
  };
};

export type ThreadLocks = ReturnType<typeof createThreadLocks>;
