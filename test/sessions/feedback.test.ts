import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFeedbackStore } from '../../src/sessions/feedback.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createRequestChanges } from '../../src/sessions/request-changes.js';
import { createRequestStore } from '../../src/sessions/requests.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const setup = async () => {
  const keys = createKeys(`fb${Math.random().toString(36).slice(2, 8)}`);
  const changes = createRequestChanges();
  const changed: string[] = [];
  changes.subscribe((team, user) => changed.push(`${team}/${user}`));
  const requests = createRequestStore({ redis, keys, retentionSeconds: 600 });
  const feedback = createFeedbackStore({ redis, keys, retentionSeconds: 600, changes });
  await requests.create({
    id: 'T1:C1:1.0',
    teamId: 'T1',
    userId: 'UOWNER',
    channelId: 'C1',
    threadTs: '1.0',
    badgeTs: '1.0',
    title: 'a question',
    state: 'done',
    path: 'foreground',
  });
  return { keys, requests, feedback, changed };
};

describe('ratings of an answer', () => {
  it('keeps one per user: a second click replaces the first, and the record counts what stands', async () => {
    const { keys, requests, feedback, changed } = await setup();
    const first = await feedback.vote('T1:C1:1.0', 'U1', 'positive');
    expect(first).toMatchObject({
      ok: true,
      previous: undefined,
      request: { userId: 'UOWNER', threadTs: '1.0' },
    });
    expect(await feedback.vote('T1:C1:1.0', 'U1', 'positive')).toMatchObject({ previous: 'positive' });
    expect((await requests.get('T1:C1:1.0'))?.feedback).toEqual({ positive: 1, negative: 0 });
    expect(await feedback.vote('T1:C1:1.0', 'U1', 'negative')).toMatchObject({ previous: 'positive' });
    await feedback.vote('T1:C1:1.0', 'U2', 'negative');
    expect((await requests.get('T1:C1:1.0'))?.feedback).toEqual({ positive: 0, negative: 2 });
    expect(await redis.hgetall(keys.requestFeedback('T1:C1:1.0'))).toEqual({
      'vote:U1': 'negative',
      'vote:U2': 'negative',
    });
    // The owner's Home hears of every change of counts, not of a repeated click.
    expect(changed).toEqual(['T1/UOWNER', 'T1/UOWNER', 'T1/UOWNER']);
  });

  it('expires with the request record, and a record that is gone takes no rating', async () => {
    const { keys, feedback } = await setup();
    await redis.pexpire(keys.request('T1:C1:1.0'), 50_000);
    await feedback.vote('T1:C1:1.0', 'U1', 'positive');
    const ttl = await redis.pttl(keys.requestFeedback('T1:C1:1.0'));
    expect(ttl).toBeGreaterThan(45_000);
    expect(ttl).toBeLessThanOrEqual(50_000);
    expect(await feedback.vote('T1:C1:gone', 'U1', 'positive')).toEqual({ ok: false, why: 'missing' });
    expect(await redis.exists(keys.requestFeedback('T1:C1:gone'))).toBe(0);
  });

  it('stores a comment only with the commenter’s own rating, capped at 1,000 characters', async () => {
    const { feedback } = await setup();
    expect(await feedback.comment('T1:C1:1.0', 'U1', 'not rated yet')).toBe('not_rated');
    await feedback.vote('T1:C1:1.0', 'U1', 'negative');
    expect(await feedback.comment('T1:C1:1.0', 'U1', `${'é'.repeat(999)}🙂🙂 tail`)).toBe('stored');
    const rating = await feedback.ratingOf('T1:C1:1.0', 'U1');
    expect(rating?.vote).toBe('negative');
    expect(Array.from(rating?.comment ?? '')).toHaveLength(1000);
    expect(rating?.comment?.endsWith('é🙂')).toBe(true);
    expect(await feedback.ratingOf('T1:C1:1.0', 'U2')).toBeUndefined();
    expect(await feedback.summary('T1:C1:1.0')).toMatchObject({
      positive: 0,
      negative: 1,
      comments: [{ userId: 'U1', vote: 'negative' }],
    });
  });

  it('links an answer’s message to its request, and nothing else', async () => {
    const { feedback } = await setup();
    await feedback.rememberAnswer('C1', '1.5', 'T1:C1:1.0');
    expect(await feedback.answerAt('C1', '1.5')).toBe('T1:C1:1.0');
    expect(await feedback.answerAt('C1', '1.0')).toBeUndefined();
    expect(await feedback.answerAt('C2', '1.5')).toBeUndefined();
  });
});
