import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isAppError } from '../../src/core/errors.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createThreadLocks, LOCK_LOST, type ThreadLockDeps } from '../../src/sessions/thread-lock.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const thread = { teamId: 'T1', channelId: 'C1', threadTs: '1700000000.000100' };

/** Locks on their own key prefix, and the thread's keys. */
const setup = (opts: Partial<ThreadLockDeps> = {}) => {
  const keys = createKeys(`tl${randomUUID().slice(0, 8)}`);
  const locks = createThreadLocks({ redis, keys, logger: pino({ level: 'silent' }), ...opts });
  const lockKey = keys.threadLock(thread.teamId, thread.channelId, thread.threadTs);
  const queueKey = keys.threadQueue(thread.teamId, thread.channelId, thread.threadTs);
  /** Enters messages in the thread's order, as the intake does before the ack. */
  const enter = async (...tss: string[]) => {
    const multi = redis.multi();
    for (const ts of tss) locks.order(thread, ts).enter(multi);
    await multi.exec();
  };
  return { locks, lockKey, queueKey, enter };
};

/** A message ts `secondsAgo` in the past, as Slack writes them. */
const tsAgo = (secondsAgo: number, micros = 0) =>
  `${Math.floor(Date.now() / 1000 - secondsAgo)}.${String(micros).padStart(6, '0')}`;

/**
 * What the intake job does: ask for the turn; when it is not yet (TurnPending), come back after the
 * delay it names, as a delayed BullMQ job would. Settles with the value, or the refusal.
 */
const takeTurn = async <T>(
  locks: ReturnType<typeof createThreadLocks>,
  ts: string,
  fn: (signal: AbortSignal) => Promise<T>,
  since = Date.now(),
): Promise<{ value?: T; error?: unknown; deferrals: number }> => {
  for (let deferrals = 0; ; deferrals++) {
    try {
      return { value: await locks.run(thread, ts, fn, { since }), deferrals };
    } catch (error) {
      const retryInMs = (error as { retryInMs?: number }).retryInMs;
      if ((error as Error).name !== 'TurnPending' || retryInMs === undefined) return { error, deferrals };
      await sleep(retryInMs);
    }
  }
};

describe('thread locks', () => {
  it('answers a thread’s messages one at a time, in the order they were sent, whatever order they ask in', async () => {
    const { locks, enter } = setup({ retryMs: 20 });
    const tss = [tsAgo(3, 1), tsAgo(2, 2), tsAgo(1, 3)];
    await enter(...tss);
    const ran: string[] = [];
    let running = 0;
    let overlapped = false;
    const work = (ts: string) => async () => {
      overlapped ||= running > 0;
      running++;
      await sleep(60);
      ran.push(ts);
      running--;
    };
    const results = await Promise.all([...tss].reverse().map((ts) => takeTurn(locks, ts, work(ts))));
    expect(ran).toEqual(tss);
    expect(overlapped).toBe(false);
    // The newest waited: it went back to wait instead of holding on.
    expect(results[0]?.deferrals).toBeGreaterThan(0);
  });

  it('refuses a message with too many ahead of it in its thread, and takes it out of the order', async () => {
    const { locks, queueKey, enter } = setup({ maxWaiting: 3, maxWaitMs: 2_000 });
    const tss = [1, 2, 3, 4, 5].map((i) => tsAgo(10 - i, i));
    await enter(...tss);
    let ran = 0;
    const fourth = await takeTurn(locks, tss[3]!, async () => void ran++);
    expect(isAppError(fourth.error) && fourth.error.code).toBe('thread_busy');
    expect(await redis.zscore(queueKey, tss[3]!)).toBeNull();
    expect(ran).toBe(0);
    // Those inside the bound are kept, waiting.
    await expect(locks.run(thread, tss[2]!, async () => void ran++)).rejects.toMatchObject({
      name: 'TurnPending',
      ahead: 2,
    });
    expect(await redis.zcard(queueKey)).toBe(4);
    expect(ran).toBe(0);
  });

  it('never runs a message without its lock: past the wait bound it is refused instead', async () => {
    const { locks, lockKey, queueKey, enter } = setup({ maxWaitMs: 400, retryMs: 20 });
    await redis.set(lockKey, 'another-holder', 'PX', 60_000);
    const ts = tsAgo(0, 7);
    await enter(ts);
    let ran = false;
    const started = Date.now();
    const outcome = await Promise.race([
      takeTurn(locks, ts, async () => {
        ran = true;
      }),
      sleep(5_000).then(() => ({ error: new Error('still waiting after 5 s'), deferrals: -1 })),
    ]);
    expect(ran).toBe(false);
    expect(isAppError(outcome.error) && outcome.error.code).toBe('thread_busy');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(await redis.get(lockKey)).toBe('another-holder');
    expect(await redis.zscore(queueKey, ts)).toBeNull();
  });

  it('runs the head of the order as soon as the lock is free, even past the wait bound', async () => {
    const { locks, enter } = setup({ maxWaitMs: 1_000 });
    const ts = tsAgo(0, 8);
    await enter(ts);
    const outcome = await takeTurn(locks, ts, async () => 'answered', Date.now() - 5_000);
    expect(outcome.value).toBe('answered');
  });

  it('stops the work when its lock lapsed and someone else took it (a stalled process)', async () => {
    const { locks, lockKey, enter } = setup({ ttlMs: 300 });
    const ts = tsAgo(0, 9);
    await enter(ts);
    const outcome = await takeTurn(locks, ts, async (signal) => {
      // The lock lapses (this process stalled past its lifetime) and a second holder takes it.
      await redis.pexpire(lockKey, 1);
      await sleep(5);
      expect(await redis.set(lockKey, 'second-holder', 'PX', 60_000, 'NX')).toBe('OK');
      const stopped = await Promise.race([
        new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(true))),
        sleep(2_000).then(() => false),
      ]);
      return { stopped, reason: (signal.reason as Error | undefined)?.message };
    });
    expect(outcome.value).toEqual({ stopped: true, reason: LOCK_LOST });
    // Its release leaves the second holder's lock alone.
    expect(await redis.get(lockKey)).toBe('second-holder');
  });

  it('keeps the lock for work that outlives its lifetime, renewing it', async () => {
    const { locks, enter } = setup({ ttlMs: 300 });
    const ts = tsAgo(0, 10);
    await enter(ts);
    const outcome = await takeTurn(locks, ts, async (signal) => {
      await sleep(1_000);
      return signal.aborted;
    });
    expect(outcome.value).toBe(false);
  });

  it('skips a lost head of the order, so a thread never blocks for good', async () => {
    const { locks, queueKey, enter } = setup({ staleMs: 2_000, retryMs: 20 });
    const lost = tsAgo(30, 1);
    const ts = tsAgo(0, 11);
    await enter(lost, ts);
    const outcome = await takeTurn(locks, ts, async () => 'answered');
    expect(outcome.value).toBe('answered');
    expect(await redis.zcard(queueKey)).toBe(0);
  });

  it('takes a refused message out of the order, so the next one goes ahead', async () => {
    const { locks, queueKey, enter } = setup();
    const [first, second] = [tsAgo(2, 12), tsAgo(1, 13)];
    await enter(first, second);
    await locks.leave(thread, first);
    expect(await redis.zrange(queueKey, '0', '-1')).toEqual([second]);
    expect((await takeTurn(locks, second, async () => 'answered')).value).toBe('answered');
  });
  it('logs an exit from the order that failed (it would hold the thread back), and still ends the turn', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    // The same connection, except that taking the message out of the order fails, as Redis dropping would.
    const flaky = new Proxy(redis, {
      get: (target, prop) => {
        if (prop === 'zrem') return () => Promise.reject(new Error('Connection is closed.'));
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { locks, lockKey, enter } = setup({ redis: flaky, logger });
    const ts = tsAgo(1, 14);
    await enter(ts);

    expect(await locks.run(thread, ts, async () => 'answered')).toBe('answered');

    expect(lines.find((l) => l.msg === 'best-effort step failed; carrying on')).toMatchObject({
      what: 'thread order exit',
      ts,
      err: { message: 'Connection is closed.' },
    });
    expect(await redis.exists(lockKey)).toBe(0);
  });
});
