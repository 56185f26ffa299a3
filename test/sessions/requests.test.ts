import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../src/sessions/keys.js';
import { createRequestStore } from '../../src/sessions/requests.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const newStore = () => {
  const keys = createKeys(`req${Math.random().toString(36).slice(2, 8)}`);
  return { keys, store: createRequestStore({ redis, keys, retentionSeconds: 60 }) };
};
const record = (id: string, userId: string, threadTs: string) => ({
  id,
  teamId: 'T',
  userId,
  channelId: 'C',
  threadTs,
  badgeTs: threadTs,
  title: `question ${id}`,
  state: 'done' as const,
  path: 'background' as const,
});

describe('request records and the unread mark', () => {
  it('clears, on a reply in a thread, only that user’s marks in that thread', async () => {
    const { store, keys } = newStore();
    for (const [id, user, thread] of [
      ['r1', 'U1', '1.0'],
      ['r2', 'U1', '2.0'],
      ['r3', 'U2', '1.0'],
    ] as const) {
      await store.create(record(id, user, thread));
      await store.update(id, { unread: true });
    }
    expect(await store.markThreadRead('T', 'U1', 'C', '1.0')).toBe(1);
    expect((await store.get('r1'))?.unread).toBe(false);
    expect((await store.get('r2'))?.unread).toBe(true);
    expect((await store.get('r3'))?.unread).toBe(true);
    expect(await redis.smembers(keys.userUnread('T', 'U1'))).toEqual(['r2']);
    expect(await store.markThreadRead('T', 'U1', 'C', '1.0')).toBe(0);
  });

  it('lets only the owner take the notification, and only once', async () => {
    const { store } = newStore();
    await store.create(record('r9', 'UOWNER', '9.0'));
    await store.update('r9', { unread: true });
    expect(await store.takeUnread('r9', 'UOTHER')).toEqual({ ok: false, why: 'forbidden' });
    expect((await store.get('r9'))?.unread).toBe(true);
    expect(await store.takeUnread('r9', 'UOWNER')).toMatchObject({ ok: true, wasUnread: true });
    expect(await store.takeUnread('r9', 'UOWNER')).toMatchObject({ ok: true, wasUnread: false });
    expect(await store.takeUnread('nope', 'UOWNER')).toEqual({ ok: false, why: 'missing' });
  });
});

describe('the work in flight in a thread', () => {
  it('holds every user’s answering, queued and running requests there, and lets go as they end', async () => {
    const { store, keys } = newStore();
    await store.create({ ...record('f1', 'U1', '1.0'), state: 'answering', path: 'foreground' });
    await store.create({ ...record('b1', 'U2', '1.0'), state: 'queued' });
    await store.create({ ...record('b2', 'U2', '2.0'), state: 'queued' });
    await store.create(record('d1', 'U1', '1.0'));
    const ids = async () =>
      (await store.inThread({ teamId: 'T', channelId: 'C', threadTs: '1.0' })).map((r) => r.id).sort();
    expect(await ids()).toEqual(['b1', 'f1']);
    await store.update('b1', { state: 'running' });
    expect(await ids()).toEqual(['b1', 'f1']);
    await store.update('f1', { state: 'cancelled' });
    await store.update('b1', { state: 'done' });
    expect(await ids()).toEqual([]);
    expect(await redis.smembers(keys.threadWork('T', 'C', '1.0'))).toEqual([]);
  });

  it('drops what no record backs any more', async () => {
    const { store, keys } = newStore();
    await store.create({ ...record('g1', 'U1', '3.0'), state: 'answering', path: 'foreground' });
    await redis.sadd(keys.threadWork('T', 'C', '3.0'), 'expired-one');
    await redis.del(keys.request('g1'));
    expect(await store.inThread({ teamId: 'T', channelId: 'C', threadTs: '3.0' })).toEqual([]);
    expect(await redis.smembers(keys.threadWork('T', 'C', '3.0'))).toEqual([]);
  });
});

describe('a record’s trace', () => {
  it('keeps the trace id it was created with, through later changes', async () => {
    const { store } = newStore();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    await store.create({ ...record('t1', 'U1', '1.0'), state: 'queued', traceId });
    await store.update('t1', { state: 'running' });
    expect(await store.get('t1')).toMatchObject({ state: 'running', traceId });
    await store.create(record('t2', 'U1', '2.0'));
    expect(await store.get('t2')).not.toHaveProperty('traceId');
  });
});
