import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

export interface ThreadRef {
  teamId: string;
  channelId: string;
  threadTs: string;
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * One answer at a time per thread, so two messages arriving together are answered in order, each
 * with the context before it. Within a process, work for a thread is chained in arrival order
 * (intake jobs are taken in order); across processes a Redis lock (renewed while held, expiring
 * if its holder dies) keeps answers from interleaving.
 */
export const createThreadLocks = (deps: {
  redis: Redis;
  keys: Pick<Keys, 'threadLock'>;
  ttlMs?: number;
  /** Give up waiting for another process's lock after this long and go ahead anyway. */
  maxWaitMs?: number;
}) => {
  const ttlMs = deps.ttlMs ?? 30_000;
  const maxWaitMs = deps.maxWaitMs ?? 300_000;
  const chains = new Map<string, Promise<unknown>>();

  const withRedisLock = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const token = randomUUID();
    const deadline = Date.now() + maxWaitMs;
    let held = false;
    while (!held && Date.now() < deadline) {
      held = (await deps.redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK';
      if (!held) await new Promise((r) => setTimeout(r, 100));
    }
    const renew = held
      ? setInterval(
          () => void deps.redis.eval(RENEW, 1, key, token, String(ttlMs)).catch(() => {}),
          ttlMs / 3,
        )
      : undefined;
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      if (held) await deps.redis.eval(RELEASE, 1, key, token).catch(() => {});
    }
  };

  return {
    run<T>(thread: ThreadRef, fn: () => Promise<T>): Promise<T> {
      const key = deps.keys.threadLock(thread.teamId, thread.channelId, thread.threadTs);
      const previous = chains.get(key) ?? Promise.resolve();
      const next = previous.catch(() => {}).then(() => withRedisLock(key, fn));
      chains.set(key, next);
      const cleanup = () => {
        if (chains.get(key) === next) chains.delete(key);
      };
      next.then(cleanup, cleanup);
      return next;
    },
  };
};

export type ThreadLocks = ReturnType<typeof createThreadLocks>;
