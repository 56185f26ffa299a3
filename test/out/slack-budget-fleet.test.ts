import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { addInstance, answerIn, useStack } from '../support/stack.js';

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
    // A web bot and a worker bot. Real pacing, at 10 × Slack's rates so that the badges of two
    // answers do not take a minute; the LLM takes 3 s an answer.
    const s = await start({ role: 'web', env: { SLACK_BUDGET_SCALE: '10' }, llm: { ttftMs: 3_000 } });
    const worker = await addInstance(s, 'worker');

    // The worker is answering the first request…
    const one = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'later first question' });
    await s.slack.waitFor(() => s.llm.requests().length === 1 || undefined, 8_000);
    // …when Slack refuses the next badge for 8 s, and a second request comes in.
    s.slack.failNext('reactions.add', { status: 429, retryAfter: 8 });
    const two = await s.driver.mention({ channel: 'C2', user: 'U2', text: 'later second question' });
    const refused = await s.slack.waitFor(
      () => s.slack.calls('reactions.add').find((c) => c.status === 429),
      8_000,
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

    // Slack refused one call; no reactions.add reached it during the pause, from either bot.
    expect(s.slack.rateLimitedCount()).toBe(1);
    const during = s.slack
      .calls('reactions.add')
      .filter((c) => c.at > refused.at && c.at < refused.at + 8_000);
    expect(during).toEqual([]);
    // One bot got the 429 (the web bot's ⏳, or the worker's ⚙️ if it was still writing it); the
    // other had a reactions.add to make during the pause (the web bot's ⏳, or the worker's ✅ after
    // its 3 s answer) and waited for it, with no 429 of its own.
    const metricsOf = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const bots = [await metricsOf(s.bot.port), await metricsOf(worker.port)];
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
