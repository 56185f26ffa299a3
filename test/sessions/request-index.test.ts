import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RequestState } from '../../src/core/request-types.js';
import { createKeys } from '../../src/sessions/keys.js';
import { USER_INDEX_MAX } from '../../src/sessions/request-index.js';
import { createRequestStore } from '../../src/sessions/requests.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const RETENTION_SECONDS = 3_600;

/** A store on its own key prefix with a clock the test moves (one minute per request by default). */
const newStore = () => {
  const keys = createKeys(`idx${Math.random().toString(36).slice(2, 8)}`);
  const clock = { t: Date.now() };
  const store = createRequestStore({ redis, keys, retentionSeconds: RETENTION_SECONDS, now: () => clock.t });
  return { keys, store, clock };
};

const record = (
  i: number,
  state: RequestState = 'done',
  path: 'background' | 'foreground' = 'foreground',
) => ({
  id: `T:C:${1_700_000_000 + i}.000100`,
  teamId: 'T',
  userId: 'U1',
  channelId: 'C',
  threadTs: `${1_700_000_000 + i}.000100`,
  badgeTs: `${1_700_000_000 + i}.000100`,
  title: `question ${i}`,
  state,
  path,
  ...(path === 'background' ? { jobId: `job-${i}` } : {}),
});

/** `n` requests, each a second after the one before, a few at a time (the clock orders them). */
const createMany = async (s: ReturnType<typeof newStore>, from: number, n: number) => {
  for (let i = from; i < from + n; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(i + 50, from + n); j++) {
      s.clock.t += 1_000;
      batch.push(s.store.create(record(j)));
    }
    await Promise.all(batch);
  }
};

describe('the per-user request index', () => {
  it('stays capped at the newest entries however many requests a user makes', async () => {
    const s = newStore();
    await createMany(s, 0, USER_INDEX_MAX + 150);
    const index = s.keys.userRequests('T', 'U1');
    expect(await redis.zcard(index)).toBe(USER_INDEX_MAX);
    // The oldest went, the newest stayed.
    expect(await redis.zscore(index, record(0).id)).toBeNull();
    expect(await redis.zscore(index, record(149).id)).toBeNull();
    expect(await redis.zscore(index, record(150).id)).not.toBeNull();
    expect(await redis.zscore(index, record(USER_INDEX_MAX + 149).id)).not.toBeNull();
    const listed = await s.store.listForUser('T', 'U1');
    expect(listed).toHaveLength(USER_INDEX_MAX);
    expect(listed[0]?.id).toBe(record(USER_INDEX_MAX + 149).id);
  });

  it('drops entries older than the retention when the user writes again', async () => {
    const s = newStore();
    await createMany(s, 0, 5);
    s.clock.t += RETENTION_SECONDS * 1000 + 60_000;
    await s.store.create(record(5));
    const index = s.keys.userRequests('T', 'U1');
    expect(await redis.zrange(index, '0', '-1')).toEqual([record(5).id]);
  });

  it('keeps the unread set inside the index: capped and pruned with it', async () => {
    const s = newStore();
    await createMany(s, 0, 3);
    for (const i of [0, 1, 2]) await s.store.update(record(i).id, { unread: true });
    const unread = s.keys.userUnread('T', 'U1');
    expect((await redis.smembers(unread)).sort()).toEqual([0, 1, 2].map((i) => record(i).id).sort());

    // Requests 0–2 (updated last, so newest) are pushed out by a full index of newer ones.
    await createMany(s, 3, USER_INDEX_MAX);
    expect(await redis.zcard(s.keys.userRequests('T', 'U1'))).toBe(USER_INDEX_MAX);
    expect(await redis.smembers(unread)).toEqual([]);
  });

  it('prunes an unread mark older than the retention with its index entry', async () => {
    const s = newStore();
    await createMany(s, 0, 2);
    await s.store.update(record(0).id, { unread: true });
    s.clock.t += RETENTION_SECONDS * 1000 + 60_000;
    await s.store.create(record(2));
    expect(await redis.smembers(s.keys.userUnread('T', 'U1'))).toEqual([]);
    expect(await redis.zrange(s.keys.userRequests('T', 'U1'), '0', '-1')).toEqual([record(2).id]);
  });

  it('finds a queued or running request behind any number of newer finished ones', async () => {
    const s = newStore();
    s.clock.t += 1_000;
    await s.store.create(record(0, 'queued', 'background'));
    s.clock.t += 1_000;
    await s.store.create(record(1, 'queued', 'background'));
    await s.store.update(record(1).id, { state: 'running' });
    await createMany(s, 2, USER_INDEX_MAX + 10);
    // Both left the capped index, neither left the active one.
    expect(await redis.zscore(s.keys.userRequests('T', 'U1'), record(0).id)).toBeNull();
    const active = await s.store.activeForUser('T', 'U1');
    expect(active.map((r) => [r.id, r.state])).toEqual([
      [record(1).id, 'running'],
      [record(0).id, 'queued'],
    ]);
    await s.store.update(record(1).id, { state: 'done' });
    await s.store.update(record(0).id, { state: 'cancelled' });
    expect(await s.store.activeForUser('T', 'U1')).toEqual([]);
    expect(await redis.zcard(s.keys.userActive('T', 'U1'))).toBe(0);
  });

  it('lists only the owner’s records and forgets expired ones in every index', async () => {
    const s = newStore();
    await s.store.create(record(0, 'queued', 'background'));
    await s.store.update(record(0).id, { unread: true });
    await redis.del(s.keys.request(record(0).id));
    expect(await s.store.listForUser('T', 'U1')).toEqual([]);
    expect(await s.store.activeForUser('T', 'U1')).toEqual([]);
    expect(await redis.zcard(s.keys.userRequests('T', 'U1'))).toBe(0);
    expect(await redis.scard(s.keys.userUnread('T', 'U1'))).toBe(0);
    expect(await redis.zcard(s.keys.userActive('T', 'U1'))).toBe(0);
  });
});
