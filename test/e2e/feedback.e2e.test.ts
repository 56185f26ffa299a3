import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/out/views/actions.js';
import type { ThrowawayRedis } from '../../standins/redis-server.js';
import { feedbackButtonsOf } from '../../standins/slack/index.js';
import { startTestRedis } from '../support/processes.js';
import {
  answerText,
  completeAnswers,
  deploy,
  fileStandins,
  requestIdOf,
  uniqueId,
  uniqueQuestion,
} from './helpers.js';

/**
 * 👍 on a foreground answer, through the built bot as processes (`--role web` and `--role worker`
 * on one Redis): the click is stored once per user, and shows in the requester's result modal, on
 * their Home tab and in the web process's /metrics.
 */
let redis: ThrowawayRedis;
const { slack, openai } = await fileStandins({ text: answerText });

beforeAll(async () => {
  redis = await startTestRedis();
});

const positives = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^backchannel_feedback_total\{value="positive"\} (\d+)/m.exec(text)?.[1] ?? 0);
};

describe('feedback on an answer, through processes', () => {
  it('stores a 👍 once per user and shows it in the result modal, on Home and in /metrics', {
    timeout: 60_000,
  }, async () => {
    const { web, driver } = await deploy({
      slack,
      openai,
      redisUrl: redis.url,
      name: 'feedback',
      extra: { HOME_COALESCE_MS: '100' },
    });
    const channel = uniqueId('C');
    const [asker, rater] = [uniqueId('U'), uniqueId('U')];

    await driver.homeOpened({ user: asker });
    const question = uniqueQuestion('what is a good retro format');
    const { ts } = await driver.mention({ channel, user: asker, text: question });
    const answer = await slack.waitFor(
      () => completeAnswers(slack, channel, ts, question).find((m) => feedbackButtonsOf(m)),
      15_000,
    );

    // Two clicks by the same user: one rating, thanked each time.
    for (let i = 0; i < 2; i++) {
      const { ack } = await driver.feedback({ user: rater, channel, messageTs: answer.ts, vote: 'positive' });
      expect(ack.status).toBe(200);
      expect(ack.late).toBe(false);
      await slack.waitFor(
        () => slack.ephemerals(channel).filter((e) => e.user === rater).length === i + 1,
        10_000,
      );
    }
    expect(slack.ephemerals(channel).at(-1)).toMatchObject({ user: rater, thread_ts: ts });
    expect(await positives(web.url)).toBe(1);

    await slack.waitFor(
      () => JSON.stringify(slack.homeView(asker)?.blocks ?? []).includes('👍 1 · 👎 0'),
      10_000,
    );
    await driver.blockAction({
      user: asker,
      actionId: ACTION_IDS.viewResult,
      value: requestIdOf(slack, channel, ts),
      container: 'view',
    });
    const modal = await slack.waitForCall('views.open', undefined, { timeoutMs: 10_000 });
    const view = JSON.stringify(modal.params.view);
    expect(view).toContain(question);
    expect(view).toContain('*Feedback:* 👍 1 · 👎 0');
  });
});
