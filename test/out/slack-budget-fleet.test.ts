import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { addInstance, answerIn, pause, useStack } from '../support/stack.js';

const start = useStack();
let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

/** A counter's value in a process's /metrics text, summed over the label sets that match. */
const metricSum = (text: string, name: string, labels: Record<string, string>) =>
  text
    .split('\n')
    .filter(
      (l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
    )
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);

describe('one Slack budget for two bots on one Redis', () => {
  it('a 429 one bot gets pauses that method in the other too, and no answer is lost', async () => {
    // A web bot and two worker bots of one job each. Real pacing, at 10 × Slack's rates; the LLM
    // takes 3 s an answer, each ending with a ✅ (reactions.add).
    const env = { SLACK_BUDGET_SCALE: '10', WORKER_CONCURRENCY: '1' };
    const s = await start({ role: 'web', env, llm: { ttftMs: 3_000 } });
    const workers = [await addInstance(s, 'worker'), await addInstance(s, 'worker')];

    // The first worker is answering the first request when Slack starts refusing its ✅ for 8 s…
    const one = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'later first question' });
    await s.slack.waitFor(() => s.llm.requests().length === 1 || undefined, 8_000);
    s.slack.failNext('reactions.add', { status: 429, retryAfter: 8 });
    // …and the second worker takes the second request a moment later: its ✅ falls in the pause.
    await pause(1_000);
    const two = await s.driver.mention({ channel: 'C2', user: 'U2', text: 'later second question' });
    await s.slack.waitFor(() => s.llm.requests().length === 2 || undefined, 8_000);
    const refused = await s.slack.waitFor(
      () => s.slack.calls('reactions.add').find((c) => c.status === 429),
      10_000,
    );
    // The pause is in Redis, for that method only, where every process looks.
    const pauses = await vi.waitFor(async () => {
      const keys = await redis.keys(`${s.prefix}:slack-pause:*`);
      expect(keys).toHaveLength(1);
      return keys;
    });
    expect(pauses[0]).toMatch(/:reactions\.add\}$/);

    // Both answered, once, with their ✅.
    await s.slack.waitFor(() => answerIn(s, 'C1', one.ts)[0] && answerIn(s, 'C2', two.ts)[0], 30_000);
    await s.slack.waitFor(
      () =>
        s.slack.reactions('C1', one.ts).join() === 'white_check_mark' &&
        s.slack.reactions('C2', two.ts).join() === 'white_check_mark',
      20_000,
    );
    expect(answerIn(s, 'C1', one.ts)).toHaveLength(1);
    expect(answerIn(s, 'C2', two.ts)).toHaveLength(1);

    // Slack refused one call; no reactions.add reached it during the pause, from either worker.
    expect(s.slack.rateLimitedCount()).toBe(1);
    const during = s.slack
      .calls('reactions.add')
      .filter((c) => c.at > refused.at && c.at < refused.at + 8_000);
    expect(during).toEqual([]);
    // One worker got the 429; the other had its ✅ to add during the pause and waited for it, with
    // no 429 of its own.
    const metricsOf = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const bots = await Promise.all(workers.map((w) => metricsOf(w.port)));
    const limited = bots.map((m) =>
      metricSum(m, 'backchannel_slack_rate_limited_total', { method: 'reactions.add' }),
    );
    expect(limited.sort()).toEqual([0, 1]);
    const waiter = bots.find((m) => metricSum(m, 'backchannel_slack_rate_limited_total', {}) === 0) ?? '';
    expect(
      metricSum(waiter, 'backchannel_slack_budget_waits_total', { method: 'reactions.add' }),
    ).toBeGreaterThan(0);
  });
});
