import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createKeys } from '../../src/sessions/keys.js';
import { createRequestChanges } from '../../src/sessions/request-changes.js';
import { newRequestRecord } from '../../src/sessions/request-record.js';
import { createRequestStore } from '../../src/sessions/requests.js';

describe('the request change notifier', () => {
  it('tells every subscriber which user’s requests changed, until it unsubscribes', () => {
    const changes = createRequestChanges();
    const first = vi.fn();
    const second = vi.fn();
    const unsubscribe = changes.subscribe(first);
    changes.subscribe(second);
    changes.notify('T1', 'U1');
    unsubscribe();
    changes.notify('T1', 'U2');
    expect(first.mock.calls).toEqual([['T1', 'U1']]);
    expect(second.mock.calls).toEqual([
      ['T1', 'U1'],
      ['T1', 'U2'],
    ]);
  });

  it('is fine with nobody listening (a store built before its overview)', () => {
    expect(() => createRequestChanges().notify('T1', 'U1')).not.toThrow();
  });
});

describe('the request store, through the notifier', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('announces each change of a record to its owner’s subscribers', async () => {
    const changes = createRequestChanges();
    const seen = vi.fn();
    changes.subscribe(seen);
    const keys = createKeys(`chg${Math.random().toString(36).slice(2, 8)}`);
    const store = createRequestStore({ redis, keys, retentionSeconds: 60, changes });
    const of = { request: { id: 'r1', teamId: 'T1', userId: 'U1', channelId: 'C1' }, threadTs: '1.0' };
    await store.create(
      newRequestRecord({ ...of, badgeTs: '1.0', question: 'q' }, { state: 'queued', path: 'background' }),
    );
    await store.update('r1', { state: 'done', unread: true });
    await store.takeUnread('r1', 'U1');
    expect(seen.mock.calls).toEqual([
      ['T1', 'U1'],
      ['T1', 'U1'],
      ['T1', 'U1'],
    ]);
  });
});
