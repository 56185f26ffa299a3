import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Turn } from '../../src/domain.js';
import { createHistoryStore } from '../../src/sessions/history.js';
import { createKeys } from '../../src/sessions/keys.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const turn = (ts: string, text: string, role: Turn['role'] = 'user'): Turn => ({ role, text, ts });

/** A history store whose "Slack" is a list, counting reads. */
const store = (thread: Turn[]) => {
  const reads: string[] = [];
  const keys = createKeys(`hist${Math.random().toString(36).slice(2, 8)}`);
  const history = createHistoryStore({
    redis,
    keys,
    ttlSeconds: 60,
    reader: {
      read: async (channelId) => {
        reads.push(channelId);
        return thread;
      },
    },
  });
  return { history, reads, key: keys.history('T', 'C', '1.0') };
};
const ref = { teamId: 'T', channelId: 'C', threadTs: '1.0' };

describe('the history cache of a session thread', () => {
  it('reads nothing for a thread the question just started, then extends itself in order', async () => {
    const { history, reads, key } = store([]);
    const first = await history.load(ref, { isNew: true, extra: [turn('1.0', 'q1')] });
    expect(first.turns.map((t) => t.text)).toEqual(['q1']);
    await history.append(ref, turn('1.5', 'a1', 'assistant'));
    const second = await history.load(ref, { extra: [turn('2.0', 'q2')] });
    expect(second.turns.map((t) => t.text)).toEqual(['q1', 'a1', 'q2']);
    expect(reads).toEqual([]);
    expect(await redis.ttl(key)).toBeGreaterThan(0);
  });

  it('reads the thread once when nothing is cached, and afresh when asked', async () => {
    const { history, reads } = store([turn('1.0', 'root'), turn('1.1', 'reply')]);
    await history.load(ref, { extra: [turn('1.2', 'q')] });
    await history.load(ref, { extra: [turn('1.3', 'q2')] });
    expect(reads).toHaveLength(1);
    const fresh = await history.load(ref, { fresh: true, extra: [turn('1.4', 'q3')] });
    expect(reads).toHaveLength(2);
    expect(fresh.turns.map((t) => t.text)).toEqual(['root', 'reply', 'q3']);
  });

  it('puts a turn that arrives out of order in its place, and prefers its own copy of a turn', async () => {
    const { history } = store([turn('1.0', 'root'), turn('1.2', '<@U0BOT> later do it')]);
    await history.load(ref, { extra: [turn('1.2', 'do it')] });
    const { turns } = await history.load(ref, { extra: [turn('1.1', 'late arrival')] });
    expect(turns.map((t) => t.text)).toEqual(['root', 'late arrival', 'do it']);
  });
});
