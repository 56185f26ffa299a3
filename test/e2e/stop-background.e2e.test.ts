import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SlackDriver } from '../../standins/driver/index.js';
import { waitFor } from '../support/processes.js';
import {
  answerText,
  botReplies,
  deploy,
  fileStandins,
  requestIdOf,
  shownText,
  sleep,
  uniqueId,
  uniqueQuestion,
} from './helpers.js';

/**
 * Slack's native stop button on background answers, through the built bot: two web processes and
 * a worker (one job at a time, so a second job waits in the queue) on one Redis.
 */
const { slack, openai } = await fileStandins({ text: answerText });
let redis: Redis;
let keys: Awaited<ReturnType<typeof deploy>>['keys'];
let driver: SlackDriver;

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  ({ keys, driver } = await deploy({
    slack,
    openai,
    redisUrl: inject('redisUrl'),
    name: 'stop-bg',
    webs: 2,
    extra: { WORKER_CONCURRENCY: '1', HOME_COALESCE_MS: '100' },
  }));
});
afterAll(async () => {
  await redis?.quit();
});

const stateOf = (channel: string, ts: string) =>
  redis.hget(keys.request(requestIdOf(slack, channel, ts)), 'state');
const cancelNote = (channel: string, ts: string, user: string) =>
  slack.waitFor(
    () =>
      botReplies(slack, channel, ts).find((m) => shownText(m).includes(`Cancelled at <@${user}>'s request`)),
    10_000,
    'the cancelled note',
  );
const statusCalls = (channel: string, threadTs: string) =>
  slack
    .calls('agents.sessions.setStatus')
    .filter((c) => c.params.channel_id === channel && c.params.thread_ts === threadTs);
const llmCallFor = (question: string) =>
  openai.requests().find((r) => JSON.stringify(r.messages).includes(question));
const homeText = (user: string) => JSON.stringify(slack.homeView(user)?.blocks ?? []);

describe('the stop button on background work', () => {
  it('removes a queued job and aborts a running one’s LLM call, as /ask cancel does', {
    timeout: 60_000,
  }, async () => {
    openai.configure({ ttftMs: 20_000 });
    try {
      const channel = uniqueId('C');
      const [alice, carol] = [uniqueId('U'), uniqueId('U')];
      const long = uniqueQuestion('a long report');
      const running = await driver.mention({ channel, user: alice, text: `later ${long}` });
      await openai.waitFor(() => llmCallFor(long), 15_000, 'the LLM asked');
      const queued = await driver.mention({
        channel,
        user: carol,
        text: `later ${uniqueQuestion('another')}`,
      });
      await waitFor(async () => (await stateOf(channel, queued.ts)) === 'queued', {
        timeoutMs: 10_000,
        what: 'the second job queued',
      });

      // The queued job: removed, never reaches the LLM; badge, note and Home say cancelled.
      await driver.sessionStopped({ channel, threadTs: queued.ts, user: carol });
      await cancelNote(channel, queued.ts, carol);
      await slack.waitFor(() => slack.reactions(channel, queued.ts).join() === 'no_entry_sign', 5_000);
      expect(await stateOf(channel, queued.ts)).toBe('cancelled');
      await driver.homeOpened({ user: carol });
      await slack.waitFor(() => homeText(carol).includes('Cancelled'), 10_000);

      // The running job: its LLM call is aborted, and it ends the same way.
      const requestsBefore = openai.requests().length;
      const clicked = Date.now();
      await driver.sessionStopped({ channel, threadTs: running.ts, user: alice });
      await openai.waitFor(
        () => llmCallFor(long)?.outcome === 'client_closed',
        5_000,
        'the LLM call aborted',
      );
      const abortedInMs = Date.now() - clicked;
      await cancelNote(channel, running.ts, alice);
      await slack.waitFor(() => slack.reactions(channel, running.ts).join() === 'no_entry_sign', 5_000);
      await waitFor(async () => (await stateOf(channel, running.ts)) === 'cancelled', {
        timeoutMs: 5_000,
        what: 'record cancelled',
      });
      await sleep(500);
      // Background work in threads of its own sets no session status, before or after the stop;
      // each request's one note now says it was cancelled.
      for (const ts of [running.ts, queued.ts]) {
        expect(statusCalls(channel, ts)).toEqual([]);
        expect(botReplies(slack, channel, ts)).toHaveLength(1);
      }
      // Nothing was answered, and the queued job never reached the LLM.
      expect(openai.requests()).toHaveLength(requestsBefore);
      for (const ts of [running.ts, queued.ts])
        expect(
          botReplies(slack, channel, ts).filter((m) => m.metadata?.event_type === 'backchannel_answer'),
        ).toEqual([]);
      console.info(`stop e2e: running background job's LLM call aborted ${abortedInMs} ms after the click`);
    } finally {
      openai.configure({ ttftMs: 0 });
    }
  });
});
