import { Redis } from 'ioredis';
import { describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import { backgroundCap, createLlmGovernor, type GovernorLimits } from '../../src/llm/governor.js';
import { parseResetMs, rateLimitHints } from '../../src/llm/ratelimit-headers.js';
import { createKeys } from '../../src/sessions/keys.js';

const NO_LIMITS: GovernorLimits = { rpm: 0, tpm: 0, concurrency: 0, foregroundReserve: 0 };

/** Two governors (two processes, each with its own connection) on one Redis and prefix, on one fake clock. */
const twoProcesses = (limits: Partial<GovernorLimits>, leaseMs = 30_000) => {
  const keys = createKeys(`gov${Math.random().toString(36).slice(2, 10)}`);
  const clock = { t: 1_000_000 };
  const make = () => {
    const redis = new Redis(inject('redisUrl'));
    onTestFinished(() => redis.disconnect());
    const governor = createLlmGovernor({
      redis,
      keys,
      limits: { ...NO_LIMITS, ...limits },
      leaseMs,
      now: () => clock.t,
    });
    return { redis, governor, prefix: keys.prefix };
  };
  return { a: make(), b: make(), clock };
};

const taken = (r: { ok: boolean }) => r.ok;

describe('the LLM governor across processes', () => {
  it('holds requests per minute across two processes, and refills with time', async () => {
    const { a, b, clock } = twoProcesses({ rpm: 10 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await a.governor.tryAcquire('foreground', 1));
    for (let i = 0; i < 5; i++) results.push(await b.governor.tryAcquire('foreground', 1));
    expect(results.every(taken)).toBe(true);
    const refused = await a.governor.tryAcquire('foreground', 1);
    expect(refused).toEqual({ ok: false, waitMs: 6_000 });
    expect(taken(await b.governor.tryAcquire('foreground', 1))).toBe(false);
    // A tenth of a minute later, one request's worth has come back: one more call, not two.
    clock.t += 6_000;
    expect(taken(await b.governor.tryAcquire('foreground', 1))).toBe(true);
    expect(taken(await a.governor.tryAcquire('foreground', 1))).toBe(false);
  });

  it('holds tokens per minute, and gives back what a call charged but did not use', async () => {
    const { a, b } = twoProcesses({ tpm: 1_000 });
    const first = await a.governor.tryAcquire('foreground', 600);
    expect(first.ok).toBe(true);
    const refused = await b.governor.tryAcquire('foreground', 500);
    expect(refused.ok).toBe(false);
    if (first.ok) await first.lease.release(100);
    expect(taken(await b.governor.tryAcquire('foreground', 500))).toBe(true);
    expect(taken(await b.governor.tryAcquire('foreground', 500))).toBe(false);
  });

  it('holds calls at once across two processes; a released slot is free for either', async () => {
    const { a, b } = twoProcesses({ concurrency: 3 });
    const held = [
      await a.governor.tryAcquire('foreground', 1),
      await a.governor.tryAcquire('foreground', 1),
      await b.governor.tryAcquire('foreground', 1),
    ];
    expect(held.every(taken)).toBe(true);
    expect(await b.governor.tryAcquire('foreground', 1)).toEqual({ ok: false, waitMs: 0 });
    expect(await a.governor.inFlight()).toBe(3);
    const one = held[0];
    if (one?.ok) await one.lease.release();
    const next = await b.governor.tryAcquire('foreground', 1);
    expect(next.ok).toBe(true);
    for (const h of [...held.slice(1), next]) if (h.ok) await h.lease.release();
    expect(await b.governor.inFlight()).toBe(0);
  });

  it('frees the slots of a process that died once their lease lapses, and keeps a live one’s', async () => {
    const { a, b, clock } = twoProcesses({ concurrency: 2 }, 300);
    const live = await b.governor.tryAcquire('foreground', 1);
    expect((await a.governor.tryAcquire('foreground', 1)).ok).toBe(true);
    // Process a dies: its connection is gone, so nothing renews or releases its slot.
    a.redis.disconnect();
    expect(taken(await b.governor.tryAcquire('foreground', 1))).toBe(false);
    // b renews its slot (every 100 ms) on the moving clock; then the clock passes a's lease.
    clock.t += 200;
    const leases = createKeys(b.prefix).llmLeases();
    for (let i = 0; i < 100; i++) {
      const newest = Number((await b.redis.zrange(leases, '-1', '-1', 'WITHSCORES'))[1]);
      if (newest >= clock.t + 300) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    clock.t += 200;
    const after = await b.governor.tryAcquire('foreground', 1);
    expect(after.ok).toBe(true);
    // b's own first slot was renewed on the moving clock: it still counts, so a third call waits.
    expect(taken(await b.governor.tryAcquire('foreground', 1))).toBe(false);
    if (live.ok) await live.lease.release();
    if (after.ok) await after.lease.release();
  });

  it('renews all of a process’s slots in one trip, and releases a call that held nothing without one', async () => {
    const { a, clock } = twoProcesses({ concurrency: 3 }, 300);
    const evals = vi.spyOn(a.redis, 'eval');
    const held = [await a.governor.tryAcquire('foreground', 1), await a.governor.tryAcquire('foreground', 1)];
    evals.mockClear();
    clock.t += 1_000;
    const leases = createKeys(a.prefix).llmLeases();
    for (let i = 0; i < 100 && evals.mock.calls.length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(evals.mock.calls[0]?.slice(2)).toEqual([
      leases,
      String(clock.t),
      '300',
      expect.any(String),
      expect.any(String),
    ]);
    for (const h of held) if (h.ok) await h.lease.release();

    const { a: unlimited } = twoProcesses({});
    const free = await unlimited.governor.tryAcquire('foreground', 10);
    const calls = vi.spyOn(unlimited.redis, 'eval');
    if (free.ok) await free.lease.release();
    expect(calls).not.toHaveBeenCalled();
  });

  it('keeps the foreground’s share: background stops at its cap while a foreground call still goes', async () => {
    const { a, b } = twoProcesses({ concurrency: 4, rpm: 8, foregroundReserve: 0.25 });
    expect(backgroundCap(4, 0.25)).toBe(3);
    const bg = [
      await a.governor.tryAcquire('background', 1),
      await b.governor.tryAcquire('background', 1),
      await a.governor.tryAcquire('background', 1),
    ];
    expect(bg.every(taken)).toBe(true);
    expect(taken(await b.governor.tryAcquire('background', 1))).toBe(false);
    expect(taken(await b.governor.tryAcquire('foreground', 1))).toBe(true);
    for (const h of bg) if (h.ok) await h.lease.release();
    // Requests per minute: 8 − 4 used leaves 4; background must leave 2 of them (a quarter of 8).
    expect(taken(await a.governor.tryAcquire('background', 1))).toBe(true);
    expect(taken(await a.governor.tryAcquire('background', 1))).toBe(true);
    expect(taken(await a.governor.tryAcquire('background', 1))).toBe(false);
    expect(taken(await a.governor.tryAcquire('foreground', 1))).toBe(true);
  });

  it('tightens to what the provider’s headers say is left, for every process', async () => {
    const { a, b } = twoProcesses({ rpm: 100, tpm: 100_000 });
    await a.governor.observe(
      rateLimitHints(
        200,
        new Headers({ 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-remaining-tokens': '90000' }),
      ),
    );
    expect(taken(await b.governor.tryAcquire('foreground', 10))).toBe(true);
    expect(taken(await b.governor.tryAcquire('foreground', 10))).toBe(true);
    expect(taken(await a.governor.tryAcquire('foreground', 10))).toBe(false);
  });

  it('learns the provider’s limits when none are set, and a 429’s retry-after holds every process', async () => {
    const { a, b, clock } = twoProcesses({});
    expect(taken(await a.governor.tryAcquire('foreground', 10))).toBe(true);
    await b.governor.observe(
      rateLimitHints(
        200,
        new Headers({ 'x-ratelimit-limit-tokens': '50', 'x-ratelimit-remaining-tokens': '15' }),
      ),
    );
    expect(taken(await a.governor.tryAcquire('foreground', 10))).toBe(true);
    expect(taken(await a.governor.tryAcquire('foreground', 10))).toBe(false);
    clock.t += 60_000;
    await b.governor.observe(rateLimitHints(429, new Headers({ 'retry-after': '7' })));
    expect(await a.governor.tryAcquire('foreground', 10)).toEqual({ ok: false, waitMs: 7_000 });
    clock.t += 7_000;
    expect(taken(await a.governor.tryAcquire('foreground', 10))).toBe(true);
  });

  it('waits for budget until a slot frees, and gives up when the caller cancels', async () => {
    const { a, b } = twoProcesses({ concurrency: 1 });
    const first = await a.governor.tryAcquire('foreground', 1);
    const waiting = b.governor.acquire('foreground', 1);
    const stop = new AbortController();
    const cancelled = b.governor.acquire('background', 1, { signal: stop.signal });
    stop.abort(new Error('stopped'));
    await expect(cancelled).rejects.toThrow('stopped');
    if (first.ok) await first.lease.release();
    const lease = await waiting;
    expect(await a.governor.inFlight()).toBe(1);
    await lease.release();
  });
});

describe('rate-limit headers', () => {
  it('reads OpenAI’s reset durations', () => {
    expect(parseResetMs('6m0s')).toBe(360_000);
    expect(parseResetMs('20ms')).toBe(20);
    expect(parseResetMs('1.5s')).toBe(1_500);
    expect(parseResetMs('1h2m3s')).toBe(3_723_000);
    expect(parseResetMs('2')).toBe(2_000);
    expect(parseResetMs('soon')).toBeUndefined();
    expect(parseResetMs(null)).toBeUndefined();
  });

  it('holds until the reset when a limit is used up, and ignores what is malformed', () => {
    const hints = rateLimitHints(
      200,
      new Headers({
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '2s',
        'x-ratelimit-remaining-tokens': 'lots',
        'x-ratelimit-limit-requests': '500',
      }),
    );
    expect(hints).toEqual({ limitRequests: 500, remainingRequests: 0, holdMs: 2_000 });
    expect(rateLimitHints(200, new Headers())).toEqual({});
  });
});
