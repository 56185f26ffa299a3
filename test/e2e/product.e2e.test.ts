import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/out/views/actions.js';
import type { ThrowawayRedis } from '../../standins/redis-server.js';
import { startTestRedis } from '../support/processes.js';
import {
  answerText,
  buttonValue,
  completeAnswers,
  deploy,
  fileStandins,
  sleep,
  uniqueId,
  uniqueQuestion,
} from './helpers.js';

/**
 * The whole product through real processes: one web process (`--role web`, what `npm run web`
 * runs) and separate worker processes (`--role worker`), on one throwaway Redis, with the Slack
 * and OpenAI stand-ins over loopback.
 */
let redis: ThrowawayRedis;
const { slack, openai } = await fileStandins({ text: answerText });

beforeAll(async () => {
  redis = await startTestRedis({ appendonly: true });
});

/** One deployment: its own key prefix, a web process, and `workers` worker processes. */
const deployWith = (name: string, workers: number) =>
  deploy({
    slack,
    openai,
    redisUrl: redis.url,
    name,
    workers,
    extra: { JOB_LOCK_MS: '3000', HOME_COALESCE_MS: '100' },
  });

const answerPosts = (channel: string, threadTs: string) =>
  slack.messages(channel, threadTs).filter((m) => m.metadata?.event_type === 'backchannel_answer');
const homeText = (user: string) => JSON.stringify(slack.homeView(user)?.blocks ?? []);
const unread = (user: string) => Number(/📬 \*(\d+)\* unread/.exec(homeText(user))?.[1] ?? 0);

describe('web with two workers', () => {
  it('answers in the foreground, and in the background with a badge, an unread mark and the Home tab', {
    timeout: 60_000,
  }, async () => {
    const d = await deployWith('product', 2);
    const channel = uniqueId('C');
    const alice = uniqueId('U');

    const q1 = uniqueQuestion('what is a backchannel');
    const { ts: t1 } = await d.driver.mention({ channel, user: alice, text: q1 });
    await slack.waitFor(() => completeAnswers(slack, channel, t1, q1)[0], 15_000);

    const q2 = uniqueQuestion('summarise the quarter');
    const { ts: t2 } = await d.driver.mention({ channel, user: alice, text: `later ${q2}` });
    await slack.waitFor(() => answerPosts(channel, t2)[0], 15_000);
    await slack.waitFor(() => slack.reactions(channel, t2).join() === 'white_check_mark', 5_000);
    expect(slack.reactions(channel, t2)).toEqual(['white_check_mark']);
    expect(answerPosts(channel, t2)).toHaveLength(1);

    await d.driver.homeOpened({ user: alice });
    await slack.waitFor(() => unread(alice) === 1, 10_000);
    expect(homeText(alice)).toContain('summarise the quarter');
    const button = buttonValue(slack.homeView(alice), ACTION_IDS.viewResult);
    expect(button).toBeTruthy();
    await d.driver.blockAction({
      user: alice,
      actionId: ACTION_IDS.viewResult,
      value: button!,
      container: 'view',
    });
    const modal = await slack.waitForCall('views.open', undefined, { timeoutMs: 10_000 });
    expect(JSON.stringify(modal.params.view)).toContain('summarise the quarter');
    await slack.waitFor(() => unread(alice) === 0, 10_000);
  });

  it('shows the LLM’s failure plainly in the thread', { timeout: 30_000 }, async () => {
    const d = await deployWith('failure', 1);
    const channel = uniqueId('C');
    openai.failNext({ kind: 'insufficient_quota' });
    const { ts } = await d.driver.mention({
      channel,
      user: uniqueId('U'),
      text: uniqueQuestion('will this fail'),
    });
    const reply = await slack.waitFor(
      () =>
        slack
          .messages(channel, ts)
          .find((m) => m.bot_id !== undefined && /quota/i.test(JSON.stringify(m.blocks ?? m.text))),
      15_000,
    );
    expect(JSON.stringify(reply)).toMatch(/quota/i);
  });

  it('keeps two users in one thread apart on their Home tabs', { timeout: 45_000 }, async () => {
    const d = await deployWith('isolation', 1);
    const channel = uniqueId('C');
    const [one, two] = [uniqueId('U'), uniqueId('U')];
    const { ts } = await d.driver.mention({ channel, user: one, text: 'later question from one' });
    await d.driver.mention({ channel, user: two, text: 'later question from two', threadTs: ts });
    await slack.waitFor(() => answerPosts(channel, ts).length === 2, 20_000);
    await d.driver.homeOpened({ user: one });
    await d.driver.homeOpened({ user: two });
    await slack.waitFor(
      () => homeText(one).includes('question from one') && homeText(two).includes('question from two'),
      10_000,
    );
    expect(homeText(one)).not.toContain('question from two');
    expect(homeText(two)).not.toContain('question from one');
  });
});

describe('a worker SIGKILLed mid-job', () => {
  it('is replaced, and the job is answered exactly once', { timeout: 90_000 }, async () => {
    const d = await deployWith('sigkill', 1);
    const channel = uniqueId('C');
    const question = uniqueQuestion('a slow background answer');
    openai.configure({ ttftMs: 4_000 });
    try {
      const { ts } = await d.driver.mention({ channel, user: uniqueId('U'), text: `later ${question}` });
      await openai.waitFor(
        () => openai.requests().some((r) => JSON.stringify(r.messages).includes(question)),
        15_000,
        'the LLM asked',
      );
      await d.workers[0]!.kill('SIGKILL');
      openai.configure({ ttftMs: 0 });
      await d.startWorker();
      await slack.waitFor(() => answerPosts(channel, ts)[0], 60_000);
      await slack.waitFor(() => slack.reactions(channel, ts).join() === 'white_check_mark', 10_000);
      await sleep(1_500);
      expect(answerPosts(channel, ts)).toHaveLength(1);
      expect(slack.reactions(channel, ts)).toEqual(['white_check_mark']);
    } finally {
      openai.configure({ ttftMs: 0 });
    }
  });
});

describe('a worker given SIGTERM', () => {
  it('finishes the job in flight, posts it once and exits 0', { timeout: 60_000 }, async () => {
    const d = await deployWith('sigterm', 1);
    const channel = uniqueId('C');
    const question = uniqueQuestion('finish me before you go');
    openai.configure({ ttftMs: 1_500 });
    try {
      const { ts } = await d.driver.mention({ channel, user: uniqueId('U'), text: `later ${question}` });
      await openai.waitFor(
        () => openai.requests().some((r) => JSON.stringify(r.messages).includes(question)),
        15_000,
        'the LLM asked',
      );
      const exit = await d.workers[0]!.stop(30_000);
      expect(exit.code).toBe(0);
      expect(answerPosts(channel, ts)).toHaveLength(1);
      expect(slack.reactions(channel, ts)).toEqual(['white_check_mark']);
    } finally {
      openai.configure({ ttftMs: 0 });
    }
  });
});
