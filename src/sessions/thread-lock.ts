import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import { bestEffort } from '../core/best-effort.js';
import { AppError, errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Keys } from './keys.js';

export interface ThreadRef {
  teamId: string;
  channelId: string;
  threadTs: string;
}

/**
 * One message's place in its thread's order: a sorted-set entry (`member` scored by its ts) that
 * the intake writes in the same transaction as the request, only when the request is new.
 */
export interface ThreadOrder {
  key: string;
  score: number;
  member: string;
  ttlSeconds: number;
  enter(multi: ChainableCommander): void;
}

/**
 * Not this message's turn yet (older messages of its thread first, or the lock is held). Thrown
 * instead of waiting, so the caller gives its worker slot back and asks again in `retryInMs`.
 */
export class TurnPending extends Error {
  override readonly name = 'TurnPending';
  constructor(
    readonly retryInMs: number,
    /** Messages ahead of this one in its thread. */
    readonly ahead: number,
  ) {
    super(`not this message's turn yet (${ahead} ahead)`);
  }
}

/** The signal's reason when the lock was found taken by someone else while the answer ran. */
export const LOCK_LOST = 'thread lock lost';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * One step of the turn, atomically: drop entries older than the stale age (their request is lost
 * or long refused), refuse past the bound on waiters, and take the lock only at the head of the
 * order (or when not queued at all: then only the lock orders it).
 * Returns -1 (too many ahead: the entry is removed), -2 (lock taken), or the number ahead.
 */
const TURN = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if rank and rank >= tonumber(ARGV[5]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return -1
end
if rank and rank > 0 then return rank end
if redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3], 'NX') then return -2 end
return 0
`;

const ORDER_TTL_SECONDS = 86_400;

export interface ThreadLockDeps {
  redis: Redis;
  keys: Pick<Keys, 'threadLock' | 'threadQueue'>;
  /** Lock lifetime; renewed every third of it while held, so it lapses only if its holder stalls or dies. */
  ttlMs?: number;
  /** Most messages one thread may hold in its order, the one being answered included. */
  maxWaiting?: number;
  /** Longest a message may wait for its turn, counted from `since`; past it, it is refused. */
  maxWaitMs?: number;
  /** Entries older than this (by message ts) are taken for lost and skipped. */
  staleMs?: number;
  /** Base of the re-ask delay; the head of the order asks again soonest. */
  retryMs?: number;
  logger: Logger;
}

/**
 * One answer at a time per thread, in the order the messages were sent, across processes. At
 * intake each request enters its thread's waiting set (scored by message ts); an answer starts only
 * when its message is the oldest one waiting and it holds the thread's lock (renewed while held,
 * expiring if its holder dies). So two messages arriving together are answered in order, each with
 * the answers before it, never interleaved.
 *
 * Nothing here waits: a message whose turn has not come gets `TurnPending` and asks again later
 * (the intake job goes back to BullMQ), so a busy thread holds no worker slot. A message never runs
 * without the lock: past `maxWaitMs`, or behind `maxWaiting` others, it is refused (`thread_busy`).
 */
export const createThreadLocks = (deps: ThreadLockDeps) => {
  const ttlMs = deps.ttlMs ?? 30_000;
  const maxWaiting = deps.maxWaiting ?? 8;
  const maxWaitMs = deps.maxWaitMs ?? 300_000;
  // A waiting message is refused at maxWaitMs; past that (plus clock skew) its entry is litter.
  const staleMs = deps.staleMs ?? maxWaitMs + 60_000;
  const retryMs = deps.retryMs ?? 200;
  const keysOf = (thread: ThreadRef) => ({
    lockKey: deps.keys.threadLock(thread.teamId, thread.channelId, thread.threadTs),
    queueKey: deps.keys.threadQueue(thread.teamId, thread.channelId, thread.threadTs),
  });
  /** Sooner for the head (waiting only for the lock to be released), jittered so waiters spread. */
  const retryIn = (ahead: number) =>
    Math.round(retryMs * Math.min(1 + ahead, 10) * (0.75 + Math.random() / 2));

  const leave = async (thread: ThreadRef, ts: string) => {
    await deps.redis.zrem(keysOf(thread).queueKey, ts);
  };

  return {
    order(thread: ThreadRef, ts: string): ThreadOrder {
      const { queueKey } = keysOf(thread);
      return {
        key: queueKey,
        score: Number(ts),
        member: ts,
        ttlSeconds: ORDER_TTL_SECONDS,
        enter: (multi) => void multi.zadd(queueKey, Number(ts), ts).expire(queueKey, ORDER_TTL_SECONDS),
      };
    },
    /** Takes a message out of its thread's order (it was refused before its turn). */
    leave,
    /**
     * Runs `fn` holding the thread's lock, if it is this message's turn; else throws `TurnPending`
     * (ask again later) or `thread_busy` (refused, out of the order). `since`: when the message
     * started waiting. `fn`'s signal aborts if the lock is found to be someone else's while it runs
     * (it lapsed while this process was stalled), so two answers never run side by side.
     */
    async run<T>(
      thread: ThreadRef,
      ts: string,
      fn: (signal: AbortSignal) => Promise<T>,
      { since = Date.now() }: { since?: number } = {},
    ): Promise<T> {
      const { lockKey, queueKey } = keysOf(thread);
      const token = randomUUID();
      const turn = Number(
        await deps.redis.eval(
          TURN,
          2,
          queueKey,
          lockKey,
          ts,
          token,
          String(ttlMs),
          String(Date.now() / 1000 - staleMs / 1000),
          String(maxWaiting),
        ),
      );
      if (turn === -1)
        throw new AppError('thread_busy', `more than ${maxWaiting} messages waiting in the thread`);
      if (turn >= 0) {
        if (Date.now() - since <= maxWaitMs) throw new TurnPending(retryIn(turn), turn);
        await leave(thread, ts);
        throw new AppError('thread_busy', `waited more than ${maxWaitMs} ms for its turn`);
      }

      const log = deps.logger.child({ threadTs: thread.threadTs, ts });
      const lost = new AbortController();
      const renew = setInterval(() => {
        deps.redis.eval(RENEW, 1, lockKey, token, String(ttlMs)).then(
          (renewed) => {
            if (renewed !== 0 || lost.signal.aborted) return;
            log.warn({}, 'thread lock lost while answering; stopping');
            lost.abort(new Error(LOCK_LOST));
          },
          // Redis unreachable: whether the lock is still ours is unknown; the next renewal decides.
          // Debug only: the connection logs the outage itself, once.
          (err: unknown) => log.debug({ err: errorFields(err) }, 'thread lock renewal failed'),
        );
      }, ttlMs / 3);
      try {
        return await fn(lost.signal);
      } finally {
        clearInterval(renew);
        // Left in the order, the entry would hold the thread's next messages back until it is stale.
        await bestEffort(log, 'thread order exit', () => deps.redis.zrem(queueKey, ts));
        // Debug only: the lock expires on its own within ttlMs, and the connection logs the outage.
        await deps.redis
          .eval(RELEASE, 1, lockKey, token)
          .catch((err: unknown) =>
            log.debug({ err: errorFields(err) }, 'thread lock not released; it expires on its own'),
          );
      }
    },
  };
};

export type ThreadLocks = ReturnType<typeof createThreadLocks>;
