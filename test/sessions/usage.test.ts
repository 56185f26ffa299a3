import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../src/sessions/keys.js';
import {
  createBudgetOverrides,
  createUsageStore,
  DAY_TTL_SECONDS,
  MONTH_TTL_SECONDS,
  nextUtcMidnight,
} from '../../src/sessions/usage.js';

const clients: Redis[] = [];
beforeAll(() => {
  clients.push(new Redis(inject('redisUrl')), new Redis(inject('redisUrl')));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
});

const AT = Date.UTC(2026, 4, 30, 12);
const freshKeys = () => createKeys(`{usage${Math.random().toString(36).slice(2, 8)}}`);

describe('usage counters', () => {
  it('lose no increment when two processes record at once, per user and per workspace', async () => {
    const keys = freshKeys();
    // Two "processes": two connections, each with its own store.
    const [a, b] = clients.map((redis) => createUsageStore({ redis, keys, now: () => AT }));
    const calls = Array.from({ length: 100 }, (_, i) =>
      (i % 2 ? a! : b!).record(
        { teamId: 'T1', userId: i % 4 < 3 ? 'UA' : 'UB' },
        { promptTokens: 7, completionTokens: 3, costUsd: 0.001 },
      ),
    );
    await Promise.all(calls);
    const ua = await a!.current({ teamId: 'T1', userId: 'UA' });
    expect(ua.user.day.tokens).toBe(750);
    expect(ua.user.month.tokens).toBe(750);
    expect(ua.team.day).toMatchObject({ tokens: 1000, promptTokens: 700, completionTokens: 300 });
    expect(ua.team.day.costUsd).toBeCloseTo(0.1, 6);
    expect(await b!.usedToday({ teamId: 'T1', userId: 'UB' })).toEqual({ user: 250, team: 1000 });
    expect(await a!.top('T1', 'day')).toEqual([
      { userId: 'UA', tokens: 750 },
      { userId: 'UB', tokens: 250 },
    ]);
  });

  it('keeps workspaces apart, starts a new day at UTC midnight, and expires days and months', async () => {
    const keys = freshKeys();
    const redis = clients[0]!;
    const store = createUsageStore({ redis, keys, now: () => AT });
    await store.record({ teamId: 'T1', userId: 'UA' }, { promptTokens: 10, completionTokens: 5 });
    await store.record(
      { teamId: 'T1', userId: 'UA' },
      { promptTokens: 1, completionTokens: 1 },
      nextUtcMidnight(AT),
    );
    expect(await store.usedToday({ teamId: 'T2', userId: 'UA' })).toEqual({ user: 0, team: 0 });
    expect(await store.usedToday({ teamId: 'T1', userId: 'UA' })).toEqual({ user: 15, team: 15 });
    expect(await store.usedToday({ teamId: 'T1', userId: 'UA' }, nextUtcMidnight(AT))).toEqual({
      user: 2,
      team: 2,
    });

    const dayTtl = await redis.ttl(keys.usageUser('T1', 'UA', 'd2026-05-30'));
    const monthTtl = await redis.ttl(keys.usageTeam('T1', 'm2026-05'));
    expect(dayTtl).toBeGreaterThan(35 * 86_400);
    expect(dayTtl).toBeLessThanOrEqual(DAY_TTL_SECONDS);
    expect(monthTtl).toBeGreaterThan(13 * 31 * 86_400);
    expect(monthTtl).toBeLessThanOrEqual(MONTH_TTL_SECONDS);
    expect(await redis.ttl(keys.usageTop('T1', 'd2026-05-30'))).toBeGreaterThan(35 * 86_400);

    const trend = await store.trend('T1', 30, nextUtcMidnight(AT));
    expect(trend).toHaveLength(30);
    expect(trend.at(-1)).toMatchObject({ day: '2026-05-31', totals: { tokens: 2 } });
    expect(trend.at(-2)).toMatchObject({ day: '2026-05-30', totals: { tokens: 15 } });
    expect(trend[0]).toMatchObject({ day: '2026-05-02', totals: { tokens: 0 } });
  });

  it("keeps an admin's per-user budget per workspace", async () => {
    const keys = freshKeys();
    const overrides = createBudgetOverrides({ redis: clients[0]!, keys });
    await overrides.set('T1', 'UA', 200_000);
    expect(await overrides.get('T1', 'UA')).toBe(200_000);
    expect(await overrides.get('T2', 'UA')).toBeUndefined();
  });
});
