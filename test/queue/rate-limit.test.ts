import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRateLimiter } from '../../src/queue/fairness.js';
import { createKeys } from '../../src/sessions/keys.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

/** A limiter on its own key prefix, with a clock the test moves. */
const limiter = (perMinute: number, rememberMs?: number) => {
  const clock = { now: 1_700_000_000_000 };
  const limits = createRateLimiter({
    redis,
    keys: createKeys(`rl${randomUUID().slice(0, 8)}`),
    perMinute,
    ...(rememberMs ? { rememberMs } : {}),
    now: () => clock.now,
  });
  return { clock, admit: (id: string, user = 'U1') => limits.admit('T1', user, id) };
};

describe('the per-user rate limit', () => {
  it('admits a user’s first requests of the minute and refuses the rest', async () => {
    const { admit } = limiter(3);
    const verdicts = [];
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) verdicts.push(await admit(id));
    expect(verdicts).toEqual([true, true, true, false, false]);
    // Another user has their own allowance.
    expect(await admit('r6', 'U2')).toBe(true);
  });

  it('counts a request once, however often it comes back (a wait for its thread, a re-run)', async () => {
    const { admit } = limiter(2);
    for (let i = 0; i < 5; i++) expect(await admit('r1')).toBe(true);
    expect(await admit('r2')).toBe(true);
    expect(await admit('r3')).toBe(false);
    expect(await admit('r1')).toBe(true);
  });

  it('slides: a minute after a request, its place is free again', async () => {
    const { clock, admit } = limiter(2);
    expect(await admit('r1')).toBe(true);
    clock.now += 30_000;
    expect(await admit('r2')).toBe(true);
    expect(await admit('r3')).toBe(false);
    clock.now += 30_001;
    expect(await admit('r4')).toBe(true);
    expect(await admit('r5')).toBe(false);
  });

  it('still admits a request that waited longer than the window, without counting it again', async () => {
    const { clock, admit } = limiter(1, 10 * 60_000);
    expect(await admit('r1')).toBe(true);
    clock.now += 5 * 60_000;
    expect(await admit('r1')).toBe(true);
    expect(await admit('r2')).toBe(true);
    expect(await admit('r1')).toBe(true);
  });
});
