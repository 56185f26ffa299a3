import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { startRedis, type ThrowawayRedis } from '../../standins/redis-server.js';
import { BOT_USER, SLACK_BASE, startTestBot, type TestBot } from '../support/in-process-bot.js';

const mention = (ts: string, text = `<@${BOT_USER}> what is our refund policy?`) => ({
  type: 'app_mention',
  user: 'U0ALICE',
  text,
  ts,
  channel: 'C0GENERAL',
  event_ts: ts,
});
const twin = (ts: string, text = `<@${BOT_USER}> what is our refund policy?`) => ({
  type: 'message',
  channel_type: 'channel',
  user: 'U0ALICE',
  text,
  ts,
  channel: 'C0GENERAL',
  event_ts: ts,
});

/**
 * Records the Slack calls the bot makes after the ack (answering), answering each like Slack would
 * closely enough; the LLM answers a one-word stream.
 */
const recordSlack = () => {
  const calls: { method: string; body: Record<string, string> }[] = [];
  nock(SLACK_BASE)
    .persist()
    .post(/\/api\/.*/)
    .reply(200, async (request: Request) => {
      const method = new URL(request.url).pathname.replace('/api/', '');
      const raw = await request.text();
      calls.push({
        method,
        body: (request.headers.get('content-type')?.includes('application/json')
          ? JSON.parse(raw)
          : Object.fromEntries(new URLSearchParams(raw))) as Record<string, string>,
      });
      if (method === 'auth.test') return { ok: true, user_id: BOT_USER, bot_id: 'B0BOT', team_id: 'T0TEAM' };
      if (method === 'conversations.replies') return { ok: true, messages: [], has_more: false };
      if (method === 'users.info')
        return { ok: true, user: { id: 'U0ALICE', profile: { display_name: 'Alice' } } };
      return { ok: true, ts: `${Date.now() / 1000}`, channel: 'C0GENERAL' };
    });
  nock('http://llm.test')
    .persist()
    .post('/v1/chat/completions')
    .reply(
      200,
      'data: {"id":"1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hello."},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
      { 'content-type': 'text/event-stream' },
    );
  return calls;
};
const answersIn = (calls: ReturnType<typeof recordSlack>, ts: string) =>
  calls.filter((c) => ['chat.startStream', 'chat.postMessage'].includes(c.method) && c.body.thread_ts === ts);

const waitFor = async (check: () => boolean | Promise<boolean>, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('intake: each user message is taken exactly once', () => {
  let bot: TestBot;
  let redis: Redis;
  let slack: ReturnType<typeof recordSlack>;
  const jobCount = async () => {
    const q = new Queue('intake', { connection: redis, prefix: bot.prefix });
    const counts = await q.getJobCounts('completed', 'active', 'waiting', 'prioritized', 'failed', 'delayed');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };

  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.quit();
    nock.enableNetConnect();
  });
  beforeEach(async () => {
    slack = recordSlack();
    bot = await startTestBot({ redisUrl: inject('redisUrl') });
  });
  afterEach(async () => {
    await bot.stop();
    nock.cleanAll();
  });

  it('acks a mention after storing it, then starts answering in its thread', async () => {
    const ack = await bot.sendEvent(mention('1700000000.000100'));
    expect(ack.status).toBe(200);
    expect(await jobCount()).toBe(1);
    await waitFor(() => answersIn(slack, '1700000000.000100').length === 1);
  });

  it('takes a mention and its message twin once', async () => {
    const ts = '1700000000.000200';
    const [a, b] = await Promise.all([bot.sendEvent(mention(ts)), bot.sendEvent(twin(ts))]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await bot.sendEvent(twin(ts));
    expect(c.status).toBe(200);
    expect(await jobCount()).toBe(1);
    await waitFor(() => answersIn(slack, ts).length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(answersIn(slack, ts)).toHaveLength(1);
  });

  it('takes sequential redeliveries of one event once', async () => {
    const event = mention('1700000000.000300');
    await bot.sendEvent(event, { eventId: 'EvSEQ' });
    for (const n of ['1', '2', '3']) {
      const r = await bot.sendEvent(event, {
        eventId: 'EvSEQ',
        headers: { 'x-slack-retry-num': n, 'x-slack-retry-reason': 'http_timeout' },
      });
      expect(r.status).toBe(200);
    }
    expect(await jobCount()).toBe(1);
  });

  it('takes concurrent redeliveries of one event once', async () => {
    const event = mention('1700000000.000400');
    const acks = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        bot.sendEvent(event, { eventId: 'EvCONC', headers: i ? { 'x-slack-retry-num': String(i) } : {} }),
      ),
    );
    expect(acks.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(await jobCount()).toBe(1);
  });

  it('ignores bot messages, its own messages and non-text subtypes', async () => {
    const base = {
      type: 'message',
      channel: 'C0GENERAL',
      channel_type: 'channel',
      text: `<@${BOT_USER}> hi`,
    };
    await bot.sendEvent({ ...base, ts: '1.1', bot_id: 'B0OTHER', user: 'U0OTHERBOT' });
    await bot.sendEvent({ ...base, ts: '1.2', subtype: 'bot_message', bot_id: 'B0OTHER' });
    await bot.sendEvent({ ...base, ts: '1.3', user: BOT_USER });
    await bot.sendEvent({ ...base, ts: '1.4', user: 'U0ALICE', subtype: 'channel_join' });
    await bot.sendEvent({ ...base, ts: '1.5', user: 'U0ALICE', subtype: 'message_deleted' });
    // A plain channel message that does not mention the bot is not a request either.
    await bot.sendEvent({ ...base, ts: '1.6', user: 'U0ALICE', text: 'lunch?' });
    expect(await jobCount()).toBe(0);
  });

  it('takes every message in a DM without a mention', async () => {
    const r = await bot.sendEvent({
      type: 'message',
      channel: 'D0ALICE',
      channel_type: 'im',
      user: 'U0ALICE',
      text: 'hello',
      ts: '2.1',
    });
    expect(r.status).toBe(200);
    expect(await jobCount()).toBe(1);
  });

  it('stores a slash command and answers /ask help at once, privately', async () => {
    const help = await bot.sendCommand('help');
    expect(help.status).toBe(200);
    expect(JSON.parse(help.text)).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.parse(help.text).text).toContain('/ask later');
    expect(await jobCount()).toBe(0);
    const ask = await bot.sendCommand('help me write a haiku');
    expect(ask.status).toBe(200);
    expect(await jobCount()).toBe(1);
  });
});

describe('intake when Redis is down', () => {
  let own: ThrowawayRedis;
  let bot: TestBot;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    own = await startRedis({ appendonly: true });
    recordSlack();
    bot = await startTestBot({ redisUrl: own.url });
  });
  afterAll(async () => {
    await bot.stop();
    await own.stop();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('answers 5xx for events, "try again" for commands, and takes the redelivery once Redis is back', async () => {
    const event = mention('1700000000.000500');
    expect((await fetch(`${bot.base}/healthz`)).status).toBe(200);
    await own.stop({ keepData: true });

    expect((await fetch(`${bot.base}/healthz`)).status).toBe(503);
    const first = await bot.sendEvent(event, { eventId: 'EvDOWN' });
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect(first.ms).toBeLessThan(3_000);
    // A reply in a thread the bot may follow: the lookup failed, so it must be redelivered too.
    const reply = {
      ...event,
      type: 'message',
      text: 'and then?',
      ts: '1700000000.000501',
      thread_ts: event.ts,
    };
    expect((await bot.sendEvent(reply, { eventId: 'EvDOWNREPLY' })).status).toBeGreaterThanOrEqual(500);
    const cmd = await bot.sendCommand('what is the capital of France?');
    expect(cmd.status).toBe(200);
    expect(JSON.parse(cmd.text)).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.parse(cmd.text).text).toMatch(/try again/i);

    // Same port and data directory: Redis comes back, Slack redelivers.
    own = await startRedis({ appendonly: true, port: own.port, dir: own.dir });
    const check = new Redis(own.url);
    try {
      await waitFor(async () => (await fetch(`${bot.base}/healthz`)).status === 200, 10_000);
      const retry = await bot.sendEvent(event, { eventId: 'EvDOWN', headers: { 'x-slack-retry-num': '1' } });
      expect(retry.status).toBe(200);
      const again = await bot.sendEvent(event, { eventId: 'EvDOWN', headers: { 'x-slack-retry-num': '2' } });
      expect(again.status).toBe(200);
      const q = new Queue('intake', { connection: check, prefix: bot.prefix });
      const counts = await q.getJobCounts(
        'completed',
        'active',
        'waiting',
        'prioritized',
        'failed',
        'delayed',
      );
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
    } finally {
      await check.quit();
    }
  });
});
