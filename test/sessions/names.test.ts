import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../src/sessions/keys.js';
import { createNameCache, NAME_TTL_SECONDS } from '../../src/sessions/names.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

describe('the cache of users’ names', () => {
  it('keeps a name for a day under the key keys.ts builds, and tells “no name” from “not looked up”', async () => {
    const keys = createKeys(`names${Math.random().toString(36).slice(2, 8)}`);
    const names = createNameCache({ redis, keys });
    expect(await names.get('U1')).toBeUndefined();

    await names.set('U1', 'Alice');
    await names.set('U2', '');
    expect(await names.get('U1')).toBe('Alice');
    expect(await names.get('U2')).toBe('');
    expect(await redis.get(`${keys.prefix}:name:U1`)).toBe('Alice');
    const ttl = await redis.ttl(keys.userName('U1'));
    expect(ttl).toBeGreaterThan(NAME_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(NAME_TTL_SECONDS);
  });
});
