import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../src/sessions/keys.js';
import { createPrefs, PREFS_TTL_SECONDS } from '../../src/sessions/prefs.js';
import { pause } from '../support/stack.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const newPrefs = (opts: { pageTtlSeconds?: number } = {}) => {
  const keys = createKeys(`prefs${Math.random().toString(36).slice(2, 8)}`);
  return { keys, prefs: createPrefs({ redis, keys, ...opts }) };
};

describe('user preferences', () => {
  it('expire, and every write or Home visit gives them the full time again', async () => {
    const { keys, prefs } = newPrefs();
    const key = keys.userPrefs('T', 'U1');
    await prefs.setDmOnResult('T', 'U1', true);
    expect(await redis.ttl(key)).toBeGreaterThan(PREFS_TTL_SECONDS - 60);
    expect(await redis.ttl(key)).toBeLessThanOrEqual(PREFS_TTL_SECONDS);

    await redis.expire(key, 100);
    await prefs.markHomeSeen('T', 'U1');
    expect(await redis.ttl(key)).toBeGreaterThan(PREFS_TTL_SECONDS - 60);
    expect(await prefs.dmOnResult('T', 'U1')).toBe(true);

    await redis.expire(key, 100);
    await prefs.touch('T', 'U1');
    expect(await redis.ttl(key)).toBeGreaterThan(PREFS_TTL_SECONDS - 60);
  });

  it('keeps the Home page a user paged to for a while, then starts from the newest again', async () => {
    const { keys, prefs } = newPrefs({ pageTtlSeconds: 1 });
    expect(await prefs.homePage('T', 'U1')).toBe(0);
    await prefs.setHomePage('T', 'U1', 3);
    expect(await prefs.homePage('T', 'U1')).toBe(3);
    expect(await redis.pttl(keys.userHomePage('T', 'U1'))).toBeGreaterThan(0);
    await pause(1_200);
    expect(await prefs.homePage('T', 'U1')).toBe(0);
  });

  it('reads a garbled stored page as the first page', async () => {
    const { keys, prefs } = newPrefs();
    for (const junk of ['-1', 'x', '1.5', '1e400']) {
      await redis.set(keys.userHomePage('T', 'U1'), junk);
      expect(await prefs.homePage('T', 'U1')).toBe(0);
    }
  });
});
