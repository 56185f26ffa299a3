import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { RequestRecord } from '../../src/core/request-types.js';
import { createCanceller } from '../../src/queue/cancel.js';
import { createKeys } from '../../src/sessions/keys.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const record: RequestRecord = {
  id: 'T1:C1:1.0',
  teamId: 'T1',
  userId: 'UOWNER',
  channelId: 'C1',
  threadTs: '1.0',
  badgeTs: '1.0',
  title: 'a report',
  state: 'queued',
  path: 'background',
  jobId: 'answer_T1_C1_1.0',
  unread: false,
  createdAt: 0,
  updatedAt: 0,
};

/** A canceller whose queue shows the job only from the `appearsAt`-th look (never, by default). */
const setup = (appearsAt = Number.POSITIVE_INFINITY) => {
  const keys = createKeys(`cx${randomUUID().slice(0, 8)}`);
  const job = {
    getState: vi.fn(async () => 'prioritized'),
    remove: vi.fn(async () => {}),
    // The queued note the enqueuer posted, which the cancellation replaces in place.
    data: { noteTs: '1.05' },
  };
  let looks = 0;
  const deps = {
    queue: { getJob: vi.fn(async () => (++looks >= appearsAt ? job : undefined)) },
    redis,
    keys,
    requests: {
      get: vi.fn(async () => record),
      update: vi.fn(async () => record),
      activeForUser: vi.fn(async () => [record]),
      // The job as the enqueuer saved it, with its note, before adding it to the queue.
      getJob: vi.fn(async () => ({ noteTs: '1.04' })),
    },
    fairness: { removeQueued: vi.fn(async () => {}) },
    poster: {
      badge: vi.fn(async () => {}),
      note: vi.fn(async (_target: unknown, _text: string, _about: unknown, _opts?: unknown) => ({
        ts: ['1.1'],
      })),
    },
    threadSession: { settle: vi.fn(async () => {}) },
    logger: pino({ level: 'silent' }),
  };
  return { deps, job, keys, canceller: createCanceller(deps as never) };
};

describe('cancelling a request recorded queued', () => {
  it('waits a moment for its job to reach the queue, then removes it', async () => {
    const { deps, job, canceller } = setup(3);
    expect(await canceller.cancel(record.id, 'UOWNER')).toMatchObject({ ok: true, how: 'removed' });
    expect(job.remove).toHaveBeenCalledTimes(1);
    expect(deps.poster.note).toHaveBeenCalledTimes(1);
    // Its queued note says it was cancelled, in place; 🚫 goes on, with nothing to take off.
    expect(vi.mocked(deps.poster.note).mock.calls[0]?.[3]).toEqual({ replacing: '1.05' });
    expect(deps.poster.badge).toHaveBeenCalledWith('C1', '1.0', 'cancelled');
    // Only a session shown in the thread is settled.
    expect(deps.threadSession.settle).toHaveBeenCalledWith(
      { teamId: 'T1', channelId: 'C1', threadTs: '1.0' },
      undefined,
      { ifShown: true },
    );
  });

  it('ends it at once when the job never shows up, and flags it so a late job stops at start', async () => {
    const { deps, keys, canceller } = setup();
    expect(await canceller.cancel(record.id, 'UADMIN', { asAdmin: true })).toMatchObject({
      ok: true,
      how: 'removed',
    });
    expect(deps.requests.update).toHaveBeenCalledWith(record.id, { state: 'cancelled', position: undefined });
    expect(deps.poster.badge).toHaveBeenCalledWith('C1', '1.0', 'cancelled');
    expect(String(vi.mocked(deps.poster.note).mock.calls[0]?.[1])).toBe(
      "🚫 Cancelled at <@UADMIN>'s request.",
    );
    // No job in the queue yet: the note it was saved with says it was cancelled, in place.
    expect(vi.mocked(deps.poster.note).mock.calls[0]?.[3]).toEqual({ replacing: '1.04' });
    expect(await redis.get(keys.cancelled(record.id))).toBe('UADMIN');
  });

  it('refuses anyone but the owner unless the caller vouched for an admin', async () => {
    const { deps, canceller } = setup(1);
    expect(await canceller.cancel(record.id, 'UOTHER')).toEqual({ ok: false, why: 'forbidden' });
    expect(deps.queue.getJob).not.toHaveBeenCalled();
  });
});
