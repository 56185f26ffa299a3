import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SlackDriver } from '../../standins/driver/index.js';
import { type BotProcess, waitFor } from '../support/processes.js';
import { answerText, deploy, fileStandins, sleep, uniqueId } from './helpers.js';

/**
 * One Slack budget per workspace, through the built bot as processes: a web process and two
 * worker processes (one job each) on one Redis. Slack refuses one worker's ✅ with a 429; the other
 * worker, whose ✅ falls in the pause, waits for it instead of spending a call Slack would refuse.
 */
const { slack, openai } = await fileStandins({ text: answerText, ttftMs: 3_000 });
let redis: Redis;
let driver: SlackDriver;
let prefix: string;
let workers: BotProcess[];

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  ({ prefix, workers, driver } = await deploy({
    slack,
    openai,
    redisUrl: inject('redisUrl'),
    name: 'budget',
    workers: 2,
    // Real pacing at 10 × Slack's rates, so two answers' badges do not take a minute.
    extra: { WORKER_CONCURRENCY: '1', SLACK_BUDGET_SCALE: '10' },
  }));
});
afterAll(async () => {
  await redis?.quit();
});

const answerIn = (channel: string, ts: string) =>
  slack.messages(channel, ts).filter((m) => m.metadata?.event_type === 'backchannel_answer');
const metric = async (bot: BotProcess, name: string, method: string) => {
  const text = await (await fetch(`${bot.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(`method="${method}"`))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
};

describe('one Slack budget shared by processes', () => {
  it('a 429 one worker gets pauses that method in the other worker too, and no answer is lost', {
    timeout: 60_000,
  }, async () => {
    const [c1, c2] = [uniqueId('C'), uniqueId('C')];
    const one = await driver.mention({ channel: c1, user: uniqueId('U'), text: 'later first question' });
    await openai.waitForRequests(1, 10_000);
    // Slack refuses the next reactions.add (the first answer's ✅) for 8 s…
    slack.failNext('reactions.add', { status: 429, retryAfter: 8 });
    // …and the other worker takes the second request a moment later: its ✅ falls in the pause.
    await sleep(1_000);
    const two = await driver.mention({ channel: c2, user: uniqueId('U'), text: 'later second question' });
    await openai.waitForRequests(2, 10_000);
    const refused = await slack.waitFor(
      () => slack.calls('reactions.add').find((c) => c.status === 429),
      15_000,
    );
    // The pause is in Redis (written once the worker has read the 429), for that method only, where
    // every process looks.
    const pauses = await waitFor(
      async () => {
        const found = await redis.keys(`${prefix}:slack-pause:*`);
        return found.length > 0 && found;
      },
      { timeoutMs: 2_000, what: 'the pause in Redis' },
    );
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toMatch(/:reactions\.add\}$/);

    await slack.waitFor(
      () =>
        slack.reactions(c1, one.ts).join() === 'white_check_mark' &&
        slack.reactions(c2, two.ts).join() === 'white_check_mark',
      30_000,
    );
    // Both answered once; Slack refused one call and no reactions.add reached it during the pause.
    expect(answerIn(c1, one.ts)).toHaveLength(1);
    expect(answerIn(c2, two.ts)).toHaveLength(1);
    expect(slack.rateLimitedCount()).toBe(1);
    expect(
      slack.calls('reactions.add').filter((c) => c.at > refused.at && c.at < refused.at + 8_000),
    ).toEqual([]);
    // Which worker got the 429, and that the other waited for the pause with none of its own.
    const limited = await Promise.all(
      workers.map((w) => metric(w, 'backchannel_slack_rate_limited_total', 'reactions.add')),
    );
    expect([...limited].sort()).toEqual([0, 1]);
    const waiter = workers[limited.indexOf(0)];
    expect(await metric(waiter!, 'backchannel_slack_budget_waits_total', 'reactions.add')).toBeGreaterThan(0);
  });
});
