import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createSlackPoster } from '../../src/out/poster.js';
import { createSlackClient } from '../../src/out/web-client.js';
import { createEnqueuer } from '../../src/queue/enqueue.js';
import { createFairness } from '../../src/queue/fairness.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createRequestStore } from '../../src/sessions/requests.js';
import { startRedis } from '../../standins/redis-server.js';
import { botReplies, shownText, startSlackApi } from '../../standins/slack/index.js';
import { addInstance, answerIn, notesIn, pause, type Stack, startStack, useStack } from '../support/stack.js';

const start = useStack();

/**
 * The Slack writes made in one channel, in order (appends to a stream aside): what a background
 * answer costs the workspace's budget. Reactions show their emoji.
 */
const writesIn = (s: Stack, channel: string) =>
  s.slack
    .calls()
    .filter((c) => /^(chat|reactions|agents|assistant)\./.test(c.method) && c.method !== 'chat.appendStream')
    .filter((c) => (c.params.channel ?? c.params.channel_id) === channel)
    .map((c) => (c.method.startsWith('reactions.') ? `${c.method} ${String(c.params.name)}` : c.method));

describe('the background queue', () => {
  it('queues `later` with a ⏳ note that becomes the answer in place, then a ✅: three Slack writes', async () => {
    const s = await start();
    const { ts } = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'later summarise our Q3 plan' });
    const answer = await s.slack.waitFor(() => answerIn(s, 'C1', ts)[0], 8_000);
    expect(answer.text).toContain('summarise our Q3 plan');
    expect(answer.text).not.toContain('later summarise');
    await s.slack.waitFor(() => s.slack.reactions('C1', ts).join() === 'white_check_mark');
    await pause(300);
    // One bot message in the thread: the note, now the answer (marked with its job).
    expect(botReplies(s.slack, 'C1', ts).map((m) => m.ts)).toEqual([answer.ts]);
    expect(answer.metadata?.event_payload).toMatchObject({ job_id: expect.stringMatching(/^answer_/) });
    const queued = s.slack.calls('chat.postMessage').find((c) => c.params.channel === 'C1');
    expect(String(queued?.params.text)).toMatch(
      /^:hourglass_flowing_sand: Queued, you're next\. I'll reply here when it's done\.$/,
    );
    expect(writesIn(s, 'C1')).toEqual(['chat.postMessage', 'chat.update', 'reactions.add white_check_mark']);
    expect(s.slack.reactions('C1', ts)).toEqual(['white_check_mark']);
    expect(s.llm.requests()).toHaveLength(1);
  });

  it('says the place in the queue when others are ahead, and still costs three writes each', async () => {
    const s = await start({ role: 'web' });
    const first = await s.driver.mention({ channel: 'C4', user: 'U4', text: 'later first in line' });
    await s.slack.waitFor(() => notesIn(s, 'C4', first.ts).length === 1);
    const second = await s.driver.mention({ channel: 'C8', user: 'U8', text: 'later second in line' });
    const note = await s.slack.waitFor(() => notesIn(s, 'C8', second.ts)[0]);
    expect(note.text).toContain('1 ahead of you');
    await addInstance(s, 'worker');
    for (const [channel, ts] of [
      ['C4', first.ts],
      ['C8', second.ts],
    ] as const) {
      await s.slack.waitFor(() => s.slack.reactions(channel, ts).join() === 'white_check_mark', 10_000);
      expect(answerIn(s, channel, ts)).toHaveLength(1);
      expect(notesIn(s, channel, ts)).toHaveLength(0);
      expect(writesIn(s, channel)).toEqual([
        'chat.postMessage',
        'chat.update',
        'reactions.add white_check_mark',
      ]);
    }
  });

  it('routes a long context to the queue at normal priority', async () => {
    const s = await start({ env: { BACKGROUND_TOKEN_THRESHOLD: '40' } });
    const { ts } = await s.driver.mention({
      channel: 'C2',
      user: 'U2',
      text: `please review: ${'lorem ipsum dolor '.repeat(40)}`,
    });
    await s.slack.waitFor(() => answerIn(s, 'C2', ts)[0], 8_000);
    // Its note (since edited into the answer) said why it was queued.
    const note = s.slack.calls('chat.postMessage').find((c) => c.params.channel === 'C2');
    expect(String(note?.params.text)).toMatch(/long one/);
  });

  it('runs a normal job before many queued low ones (priority, FIFO within one)', async () => {
    const s = await start({ role: 'web', env: { BACKGROUND_TOKEN_THRESHOLD: '40', USER_MAX_QUEUED: '20' } });
    const lows: string[] = [];
    const notes = () =>
      s.slack.messages('C3').filter((m) => m.metadata?.event_type === 'backchannel_note').length;
    for (let i = 0; i < 5; i++) {
      const { ts } = await s.driver.mention({ channel: 'C3', user: 'U3', text: `later low job ${i}` });
      lows.push(ts);
      // One at a time, so the queue's order is the order they were asked in.
      await s.slack.waitFor(() => notes() === i + 1);
    }
    await s.driver.mention({ channel: 'C3', user: 'U4', text: `normal job ${'long context '.repeat(30)}` });
    await s.slack.waitFor(
      () => s.slack.messages('C3').filter((m) => m.metadata?.event_type === 'backchannel_note').length === 6,
    );
    await addInstance(s, 'worker', { WORKER_CONCURRENCY: '1', USER_MAX_RUNNING: '5' });
    const reqs = await s.llm.waitForRequests(6, 15_000);
    const order = reqs.map((r) => /low job (\d)|normal job/.exec(String(r.messages.at(-1)?.content))?.[0]);
    expect(order).toEqual(['normal job', 'low job 0', 'low job 1', 'low job 2', 'low job 3', 'low job 4']);
  });

  it('retries after the LLM’s retry-after, then answers once', async () => {
    const s = await start();
    s.llm.failNext({ kind: '429', retryAfter: 1 });
    const { ts } = await s.driver.mention({ channel: 'C5', user: 'U5', text: 'later retry me' });
    await s.slack.waitFor(() => answerIn(s, 'C5', ts)[0], 10_000);
    const [first, second] = s.llm.requests();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_000);
    await s.slack.waitFor(() => s.slack.reactions('C5', ts).join() === 'white_check_mark');
    expect(answerIn(s, 'C5', ts)).toHaveLength(1);
    expect(s.slack.reactions('C5', ts)).toEqual(['white_check_mark']);
    // The failed attempt wrote nothing: the retry's answer still replaces the one note.
    expect(writesIn(s, 'C5')).toEqual(['chat.postMessage', 'chat.update', 'reactions.add white_check_mark']);
  });

  it('cancels a queued request in its note, with one 🚫 and nothing taken off', async () => {
    const s = await start({ role: 'web' });
    const { ts } = await s.driver.mention({ channel: 'C10', user: 'U10', text: 'later never mind' });
    await s.slack.waitFor(() => notesIn(s, 'C10', ts)[0]);
    await s.driver.command({ text: 'cancel', user: 'U10', channel: 'C10' });
    await s.slack.waitFor(() => s.slack.reactions('C10', ts).join() === 'no_entry_sign');
    await pause(200);
    expect(botReplies(s.slack, 'C10', ts).map(shownText)).toEqual([
      expect.stringContaining("Cancelled at <@U10>'s request"),
    ]);
    expect(writesIn(s, 'C10')).toEqual(['chat.postMessage', 'chat.update', 'reactions.add no_entry_sign']);
  });

  it('posts the answer once when Slack took the edit but its answer was lost (re-run finds its own answer)', async () => {
    const s = await start();
    s.slack.failNext('chat.update', {
      status: 500,
      afterEffect: true,
      match: (p) => JSON.stringify(p.metadata ?? '').includes('backchannel_answer'),
    });
    const { ts } = await s.driver.mention({ channel: 'C7', user: 'U7', text: 'later lost response' });
    await s.slack.waitFor(() => s.slack.reactions('C7', ts).join() === 'white_check_mark', 15_000);
    await pause(500);
    expect(answerIn(s, 'C7', ts)).toHaveLength(1);
    // No second edit or post: the re-run only puts the ✅ on.
    expect(writesIn(s, 'C7')).toEqual(['chat.postMessage', 'chat.update', 'reactions.add white_check_mark']);
    // The re-run proved the post from the thread instead of calling the LLM and posting again.
    expect(s.llm.requests()).toHaveLength(1);
    expect(s.slack.calls('conversations.replies').some((c) => c.params.include_all_metadata)).toBe(true);
  });

  it('fails a final error at once: its note says how to retry, in place, and one ❌', async () => {
    const s = await start();
    s.llm.failNext({ kind: 'insufficient_quota' });
    const { ts } = await s.driver.mention({ channel: 'C6', user: 'U6', text: 'later no quota' });
    const failure = await s.slack.waitFor(
      () => notesIn(s, 'C6', ts).find((m) => m.text.includes('❌')),
      8_000,
    );
    expect(failure.text).toMatch(/quota/i);
    expect(failure.text).toMatch(/ask again/i);
    await s.slack.waitFor(() => s.slack.reactions('C6', ts).join() === 'x');
    await pause(500);
    expect(s.llm.requests()).toHaveLength(1);
    expect(notesIn(s, 'C6', ts).filter((m) => m.text.includes('❌'))).toHaveLength(1);
    expect(botReplies(s.slack, 'C6', ts)).toHaveLength(1);
    expect(s.slack.reactions('C6', ts)).toEqual(['x']);
    expect(writesIn(s, 'C6')).toEqual(['chat.postMessage', 'chat.update', 'reactions.add x']);
  });
});

describe('a Redis restart with persistence', () => {
  it('loses no accepted job', { timeout: 40_000 }, async () => {
    let redis = await startRedis({ appendonly: true });
    const s = await startStack({ role: 'web', redisUrl: redis.url });
    try {
      const { ts } = await s.driver.mention({ channel: 'C9', user: 'U9', text: 'later survive a restart' });
      await s.slack.waitFor(() => notesIn(s, 'C9', ts).length === 1);
      await redis.stop({ keepData: true });
      redis = await startRedis({ appendonly: true, port: redis.port, dir: redis.dir });
      await addInstance(s, 'worker');
      await s.slack.waitFor(() => answerIn(s, 'C9', ts)[0], 20_000);
      expect(s.llm.requests()).toHaveLength(1);
    } finally {
      await s.stop();
      await redis.stop();
    }
  });
});

describe('enqueueing when Redis is down', () => {
  it('fails fast and never tells the user "queued"', async () => {
    const redis = await startRedis();
    const slack = await startSlackApi();
    const logger = pino({ level: 'silent' });
    const producer = new Redis(redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 200,
    });
    producer.on('error', () => {});
    await new Promise((r) => producer.once('ready', r));
    const keys = createKeys('down');
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    const queue = new Queue('answers', { connection: producer, prefix: 'down' });
    queue.on('error', () => {});
    const poster = createSlackPoster({
      client: createSlackClient({ token: 'xoxb-1', apiUrl: slack.apiUrl, logger }),
      logger,
      nativeStreaming: true,
      badges: config.emoji,
    });
    const enqueuer = createEnqueuer({
      queue,
      poster,
      requests: createRequestStore({ redis: producer, keys, retentionSeconds: 60 }),
      fairness: createFairness({ redis: producer, keys, maxRunning: 1, maxQueued: 5 }),
      config,
      logger,
    });
    await redis.stop();
    const started = Date.now();
    const request = {
      id: 'T:C:1.1',
      source: 'mention' as const,
      teamId: 'T',
      channelId: 'C',
      userId: 'U',
      text: 'q',
      ts: '1.1',
      isDm: false,
      receivedAt: Date.now(),
    };
    await expect(
      enqueuer.enqueue({
        request,
        threadTs: '1.1',
        badgeTs: '1.1',
        priority: 'low',
        reason: 'later',
        question: 'q',
        questionTs: '1.1',
        freshHistory: false,
        enqueuedAt: Date.now(),
        retry: 0,
      }),
    ).rejects.toMatchObject({ code: 'redis_unavailable' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(slack.calls('chat.postMessage')).toHaveLength(0);
    expect(slack.calls('reactions.add')).toHaveLength(0);
    producer.disconnect();
    await slack.close();
  });
});
