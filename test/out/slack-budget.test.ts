import { randomUUID } from 'node:crypto';
import { WebAPIRateLimitedError } from '@slack/web-api';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createMetrics } from '../../src/core/metrics.js';
import { budgetKeys, createRedisBudgetStore } from '../../src/out/budget-store.js';
import {
  createSlackBudget,
  isBudgetSkip,
  type Priority,
  type SlackBudgetDeps,
} from '../../src/out/slack-budget.js';
import type { MethodLimit } from '../../src/out/slack-limits.js';
import { localBudget } from '../support/budget.js';
import { testClock } from '../support/test-clock.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const logger = pino({ level: 'silent' });
const limited = (retryAfter: number) => new WebAPIRateLimitedError(retryAfter);
const ok = async () => 'ok';

/**
 * Limits for the tests (the budget spends 90 % of the rate and one call less of the burst):
 * `slow.method` keeps 3 tokens and refills about one a minute, so what a test takes stays taken;
 * `roomy.method` keeps 9; `quick.method` keeps 3 and refills two a second, for the tests that wait.
 */
const LIMITS: Record<string, MethodLimit> = {
  'slow.method': { tier: 'test', perMinute: 1, burst: 4 },
  'other.method': { tier: 'test', perMinute: 1, burst: 4 },
  'roomy.method': { tier: 'test', perMinute: 1, burst: 10 },
  'quick.method': { tier: 'test', perMinute: (2 / 0.9) * 60, burst: 4 },
};

/** A fleet's processes: budgets on one Redis and prefix, each with its own metrics. */
const fleet = () => {
  const prefix = `sb${randomUUID().slice(0, 8)}`;
  const process = (o: Partial<SlackBudgetDeps> & { priority?: Priority } = {}) => {
    const metrics = createMetrics();
    const budget = createSlackBudget({
      store: createRedisBudgetStore({ redis, prefix }),
      team: 'T1',
      logger,
      metrics,
      limits: LIMITS,
      ...o,
    });
    return { budget: o.priority ? budget.withPriority(o.priority) : budget, metrics };
  };
  return { prefix, process };
};

const counter = async (m: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>) => {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
};

const tryOnly = { retryOnRateLimit: false } as const;

describe('the shared Slack budget (Redis)', () => {
  it('is one budget for every process: what one takes, the other cannot', async () => {
    const { process } = fleet();
    const a = process();
    const b = process();
    for (let i = 0; i < 3; i++)
      await expect(a.budget.run('slow.method', 'C1', ok, tryOnly)).resolves.toBe('ok');
    const call = vi.fn(ok);
    await expect(b.budget.run('slow.method', 'C1', call, tryOnly)).rejects.toBeInstanceOf(
      WebAPIRateLimitedError,
    );
    expect(call).not.toHaveBeenCalled();
    // Another method has its own bucket.
    await expect(b.budget.run('other.method', 'C1', ok, tryOnly)).resolves.toBe('ok');
    expect(
      await counter(a.metrics, 'backchannel_slack_budget_tokens', { method: 'slow.method' }),
    ).toBeLessThan(1);
  });

  it('keys per-channel methods by channel', async () => {
    const { process } = fleet();
    const limits = { 'chat.postMessage': { tier: 'test', perMinute: 1, burst: 3, perChannel: true } };
    const a = process({ limits });
    await a.budget.run('chat.postMessage', 'C1', ok, tryOnly);
    await a.budget.run('chat.postMessage', 'C1', ok, tryOnly);
    await expect(a.budget.run('chat.postMessage', 'C1', ok, tryOnly)).rejects.toBeInstanceOf(
      WebAPIRateLimitedError,
    );
    await expect(a.budget.run('chat.postMessage', 'C2', ok, tryOnly)).resolves.toBe('ok');
  });

  it('pauses a method that Slack answered 429 in every process, for Retry-After, and nothing else', async () => {
    const { prefix, process } = fleet();
    const a = process();
    const b = process();
    await expect(
      a.budget.run('other.method', 'C1', () => Promise.reject(limited(30)), tryOnly),
    ).rejects.toMatchObject({ retryAfter: 30 });
    // Redis holds the pause, for Retry-After.
    const pttl = await redis.pttl(budgetKeys(prefix, { team: 'T1', method: 'other.method' }).pause);
    expect(pttl).toBeGreaterThan(25_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
    // The other process does not call Slack for that method until it passes…
    const call = vi.fn(ok);
    await expect(b.budget.run('other.method', 'C1', call, tryOnly)).rejects.toBeInstanceOf(
      WebAPIRateLimitedError,
    );
    expect(call).not.toHaveBeenCalled();
    // …nor is an optional write of it made; every other method goes on.
    await expect(b.budget.run('other.method', 'C1', call, { priority: 'optional' })).rejects.toSatisfy(
      isBudgetSkip,
    );
    await expect(b.budget.run('slow.method', 'C1', ok)).resolves.toBe('ok');
    expect(await counter(a.metrics, 'backchannel_slack_rate_limited_total', { method: 'other.method' })).toBe(
      1,
    );
  });

  it('a paused call that may wait goes out when the pause ends', async () => {
    const { process } = fleet();
    const a = process();
    const b = process();
    let first = true;
    const flaky = vi.fn(async () => {
      if (first) {
        first = false;
        throw limited(1);
      }
      return 'sent';
    });
    const waiter = vi.fn(ok);
    const [r1, r2] = await Promise.all([
      a.budget.run('roomy.method', 'C1', flaky),
      // Starts once the 429 has been recorded.
      vi
        .waitFor(() => expect(flaky).toHaveBeenCalledTimes(1))
        .then(() => b.budget.run('roomy.method', 'C1', waiter, { priority: 'background' })),
    ]);
    expect([r1, r2]).toEqual(['sent', 'ok']);
    expect(waiter).toHaveBeenCalledTimes(1);
    expect(await counter(b.metrics, 'backchannel_slack_budget_waits_total', { method: 'roomy.method' })).toBe(
      1,
    );
  });

  it('serves foreground before background: background never takes foreground’s reserve', async () => {
    const { process } = fleet();
    const web = process({ priority: 'foreground' });
    const worker = process({ priority: 'background' });
    // Drain the bucket.
    for (let i = 0; i < 3; i++) await web.budget.run('quick.method', 'C1', ok, tryOnly);
    const order: string[] = [];
    const background = worker.budget.run('quick.method', 'C1', async () => order.push('background'));
    const foreground = web.budget.run('quick.method', 'C1', async () => order.push('foreground'));
    await Promise.all([background, foreground]);
    expect(order).toEqual(['foreground', 'background']);
    expect(
      await counter(worker.metrics, 'backchannel_slack_budget_waits_total', { priority: 'background' }),
    ).toBe(1);
  });

  it('skips optional writes when the budget is short, while background ones wait and go out', async () => {
    const { process } = fleet();
    const a = process({ priority: 'background' });
    // One token taken: the bucket is no longer nearly full.
    await a.budget.run('slow.method', 'C1', ok, { priority: 'foreground', retryOnRateLimit: false });
    const optional = vi.fn(ok);
    await expect(a.budget.run('slow.method', 'C1', optional, { priority: 'optional' })).rejects.toSatisfy(
      isBudgetSkip,
    );
    expect(optional).not.toHaveBeenCalled();
    expect(
      await counter(a.metrics, 'backchannel_slack_budget_skipped_total', { method: 'slow.method' }),
    ).toBe(1);
    // Background still has room above foreground's reserve here.
    await expect(a.budget.run('slow.method', 'C1', ok)).resolves.toBe('ok');
    // With an idle bucket an optional write goes out.
    await expect(a.budget.run('other.method', 'C1', ok, { priority: 'optional' })).resolves.toBe('ok');
  });

  it('calls unpaced, and says so once, when Redis is down', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const warn = vi.fn();
    const budget = createSlackBudget({
      store: createRedisBudgetStore({ redis: down, prefix: 'down' }),
      team: 'T1',
      logger: { ...logger, child: () => ({ ...logger, warn }) } as unknown as typeof logger,
      limits: LIMITS,
    });
    await expect(budget.run('slow.method', 'C1', ok)).resolves.toBe('ok');
    await expect(budget.run('slow.method', 'C1', ok)).resolves.toBe('ok');
    expect(warn).toHaveBeenCalledTimes(1);
    down.disconnect();
  });
});

describe('429 handling in one process (the local store)', () => {
  it('holds back only the limited method and channel, then retries', async () => {
    const clock = testClock({ auto: false });
    const budget = localBudget({ now: clock.now, sleep: clock.sleep });
    let first = true;
    const c1 = budget.run('chat.postMessage', 'C1', async () => {
      if (first) {
        first = false;
        throw limited(5);
      }
      return 'c1';
    });
    await vi.waitFor(() => expect(clock.pending()).toBe(1));
    await expect(budget.run('chat.postMessage', 'C2', async () => 'c2')).resolves.toBe('c2');
    await expect(budget.run('chat.update', 'C1', async () => 'update')).resolves.toBe('update');
    clock.advance(5000);
    await expect(c1).resolves.toBe('c1');
  });

  it('does not wait when the caller has a better plan', async () => {
    const clock = testClock({ auto: false });
    const budget = localBudget({ now: clock.now, sleep: clock.sleep });
    await expect(
      budget.run('chat.startStream', 'C1', async () => Promise.reject(limited(3)), tryOnly),
    ).rejects.toMatchObject({ retryAfter: 3 });
    await expect(budget.run('chat.startStream', 'C1', async () => 'never', tryOnly)).rejects.toBeInstanceOf(
      WebAPIRateLimitedError,
    );
    clock.advance(3000);
    await expect(budget.run('chat.startStream', 'C1', async () => 'ok', tryOnly)).resolves.toBe('ok');
  });

  it('gives up after a few 429s in a row', async () => {
    const clock = testClock({ auto: true });
    const budget = localBudget({ now: clock.now, sleep: clock.sleep, maxRetries: 2 });
    const call = vi.fn(async () => Promise.reject(limited(1)));
    await expect(budget.run('reactions.add', 'C1', call)).rejects.toMatchObject({ retryAfter: 1 });
    expect(call).toHaveBeenCalledTimes(3);
  });

  it('passes other errors straight through', async () => {
    await expect(
      localBudget().run('chat.update', 'C1', async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
  });
});
