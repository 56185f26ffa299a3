import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../src/sessions/keys.js';
import { until } from '../support/redis-state.js';
import { botReplies, type Stack, settled, useStack, waitForReplies } from '../support/stack.js';

/**
 * One user's flood, a busy thread and a stuck lock, through the real bot in this process (Bolt,
 * BullMQ, Redis) against the Slack and OpenAI stand-ins. What the users see: answers, private
 * refusals, and how soon another user is answered.
 */
const start = useStack();
let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const CAROL = 'U0CAROL';
const FLOODER = 'U0FLOOD';

/**
 * A thread the bot follows, started by Carol's mention and answered: done answering, its message
 * out of the thread's order (the answer shows in Slack a moment before its run ends, and until then
 * it counts among the thread's waiting messages).
 */
const followedThread = async (s: Stack, channel: string) => {
  const { ts } = await s.driver.mention({ channel, user: CAROL, text: 'let us talk here' });
  await waitForReplies(s, channel, ts, 1, 10_000);
  const order = createKeys(s.prefix).threadQueue(s.slack.teamId, channel, ts);
  await until(async () => (await redis.zcard(order)) === 0, 10_000, 'the root question out of the order');
  return ts;
};
const refusalsFor = (s: Stack, user: string) => s.slack.ephemerals().filter((e) => e.user === user);
const refusedLogs = (s: Stack, code: string) =>
  s.logs.filter((l) => l.includes('"request refused"') && l.includes(`"code":"${code}"`));
/** Bot replies in the thread that answer one of `questions` (the LLM stand-in echoes the question). */
const answersTo = (s: Stack, channel: string, threadTs: string, questions: string[]) =>
  botReplies(s, channel, threadTs).filter(
    (m) => settled(m) && questions.some((q) => m.text.includes(`${q}"`)),
  );

describe('one user flooding a thread', () => {
  it('holds no intake slots: another user’s DM is answered promptly while the flood waits', {
    timeout: 40_000,
  }, async () => {
    const s = await start({ llm: { ttftMs: 1_000 }, env: { THREAD_MAX_WAITING: '4' } });
    const root = await followedThread(s, 'C20');
    const flood = Array.from({ length: 80 }, (_, i) => `flood question ${i}`);
    await Promise.all(
      flood.map((text) => s.driver.message({ channel: 'C20', user: FLOODER, text, threadTs: root })),
    );

    const sent = Date.now();
    const { ts } = await s.driver.dm({ user: 'U0OTHER', text: 'are you there?' });
    await waitForReplies(s, s.driver.dmChannel('U0OTHER'), ts, 1, 20_000);
    const latencyMs = Date.now() - sent;
    // Solo, this takes the LLM's 1 s plus a little; behind 64 slots held by lock waiters, 12 s.
    expect(latencyMs).toBeLessThan(4_000);
    expect(answersTo(s, 'C20', root, flood).length).toBeLessThan(3);

    // Every flood message is answered or refused privately; none is dropped.
    await s.slack.waitFor(
      () => answersTo(s, 'C20', root, flood).length + refusalsFor(s, FLOODER).length === flood.length,
      25_000,
      'every flood message answered or refused',
    );
    const answered = answersTo(s, 'C20', root, flood);
    expect(answered.length).toBeGreaterThan(0);
    // In the order they were sent, and no deferral taken for an interrupted run.
    const order = answered.map((m) => Number(/flood question (\d+)/.exec(m.text)?.[1]));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(botReplies(s, 'C20', root).some((m) => m.text.includes('interrupted'))).toBe(false);
  });

  it('refuses over-limit requests privately at intake, before any Slack read or LLM call', {
    timeout: 30_000,
  }, async () => {
    const s = await start({ env: { USER_RATE_LIMIT_PER_MINUTE: '3', THREAD_MAX_WAITING: '50' } });
    // A mention inside someone else's thread reads the thread from Slack for its context.
    const root = s.slack.addMessage({ channel: 'C21', user: CAROL, text: 'the deploy failed' });
    const questions = Array.from({ length: 20 }, (_, i) => `why ${i}`);
    await Promise.all(
      questions.map((text) => s.driver.mention({ channel: 'C21', user: FLOODER, text, threadTs: root.ts })),
    );
    await s.slack.waitFor(
      () => answersTo(s, 'C21', root.ts, questions).length + refusalsFor(s, FLOODER).length === 20,
      20_000,
      'every question answered or refused',
    );
    expect(answersTo(s, 'C21', root.ts, questions)).toHaveLength(3);
    expect(s.llm.requests()).toHaveLength(3);
    expect(s.slack.calls('conversations.replies')).toHaveLength(3);
    const refusals = refusalsFor(s, FLOODER);
    expect(refusals).toHaveLength(17);
    expect(refusals[0]?.text).toMatch(/faster than I can answer/);
    expect(refusals[0]?.thread_ts).toBe(root.ts);
    expect(refusedLogs(s, 'user_rate_limited')).toHaveLength(17);
  });

  it('counts a request that waits its turn once, and never takes the wait for an interrupted run', {
    timeout: 30_000,
  }, async () => {
    const s = await start({ llm: { ttftMs: 500 }, env: { USER_RATE_LIMIT_PER_MINUTE: '3' } });
    const root = await followedThread(s, 'C22');
    const questions = ['first of three', 'second of three', 'third of three'];
    for (const text of questions)
      await s.driver.message({ channel: 'C22', user: FLOODER, text, threadTs: root });
    await s.slack.waitFor(() => answersTo(s, 'C22', root, questions).length === 3, 15_000, 'three answers');
    expect(refusalsFor(s, FLOODER)).toHaveLength(0);
    expect(botReplies(s, 'C22', root).some((m) => m.text.includes('interrupted'))).toBe(false);
  });
});

describe('a busy thread', () => {
  it('holds at most THREAD_MAX_WAITING messages; the rest are refused privately', {
    timeout: 30_000,
  }, async () => {
    const s = await start({ llm: { ttftMs: 1_000 }, env: { THREAD_MAX_WAITING: '3' } });
    const root = await followedThread(s, 'C23');
    const questions = Array.from({ length: 6 }, (_, i) => `busy question ${i}`);
    const users = questions.map((_, i) => `U0ASKER${i}`);
    // One after the other, each in the thread's order before the next is sent.
    for (const [i, text] of questions.entries())
      await s.driver.message({ channel: 'C23', user: users[i]!, text, threadTs: root });
    await s.slack.waitFor(
      () => answersTo(s, 'C23', root, questions).length === 3 && s.slack.ephemerals('C23').length === 3,
      20_000,
      'three answered, three refused',
    );
    expect(answersTo(s, 'C23', root, questions).map((m) => /busy question (\d)/.exec(m.text)?.[1])).toEqual([
      '0',
      '1',
      '2',
    ]);
    const refused = s.slack.ephemerals('C23');
    expect(refused.map((e) => e.user)).toEqual(users.slice(3));
    expect(refused[0]?.text).toMatch(/thread is busy/);
    expect(refusedLogs(s, 'thread_busy')).toHaveLength(3);
  });

  it('refuses a message whose thread stays locked past THREAD_MAX_WAIT_MS, and never answers it unlocked', {
    timeout: 30_000,
  }, async () => {
    const s = await start({ env: { THREAD_MAX_WAIT_MS: '1500' } });
    const root = await followedThread(s, 'C24');
    // Another process holds the thread (a long answer, or a holder that stalled).
    const lockKey = createKeys(s.prefix).threadLock(s.driver.teamId, 'C24', root);
    await redis.set(lockKey, 'another-process', 'PX', 60_000);
    await s.driver.message({ channel: 'C24', user: 'U0WAITER', text: 'still there?', threadTs: root });
    const [refusal] = await s.slack.waitFor(
      () => (refusalsFor(s, 'U0WAITER').length ? refusalsFor(s, 'U0WAITER') : undefined),
      10_000,
      'a private refusal',
    );
    expect(refusal?.text).toMatch(/thread is busy/);
    expect(refusal?.thread_ts).toBe(root);
    expect(s.llm.requests()).toHaveLength(1);
    expect(botReplies(s, 'C24', root)).toHaveLength(1);

    // Once the holder is done, the thread answers again.
    await redis.del(lockKey);
    await s.driver.message({ channel: 'C24', user: 'U0WAITER', text: 'and now?', threadTs: root });
    await waitForReplies(s, 'C24', root, 2, 10_000);
  });
});
