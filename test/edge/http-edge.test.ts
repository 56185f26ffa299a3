import nock from 'nock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signSlackBody } from '../../standins/driver/signing.js';
import { startTestBot, type TestBot } from '../support/in-process-bot.js';

describe('the HTTP edge', () => {
  let bot: TestBot;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    bot = await startTestBot({ redisUrl: inject('redisUrl'), env: { BODY_LIMIT_BYTES: '4096' } });
  });
  afterAll(async () => {
    await bot.stop();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  const event = JSON.stringify({
    type: 'event_callback',
    team_id: 'T0TEAM',
    event_id: 'Ev1',
    event: { type: 'app_home_opened', user: 'U1', tab: 'home' },
  });

  it('answers 401 to a bad signature and processes nothing', async () => {
    const res = await fetch(`${bot.base}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSlackBody('wrong-secret', event) },
      body: event,
    });
    expect(res.status).toBe(401);
  });

  it('answers 401 to a stale timestamp (older than 5 minutes)', async () => {
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await fetch(`${bot.base}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSlackBody('test-signing-secret', event, stale) },
      body: event,
    });
    expect(res.status).toBe(401);
  });

  it('answers 400 to a signed but malformed body', async () => {
    const res = await bot.post('{"type": "event_callback", ', 'application/json');
    expect(res.status).toBe(400);
  });

  it('answers 413 to a body over the limit, declared or streamed', async () => {
    const big = JSON.stringify({ type: 'event_callback', padding: 'x'.repeat(10_000) });
    expect((await bot.post(big, 'application/json')).status).toBe(413);
    // Chunked, without a content-length: cut off while streaming.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(1024)));
        controller.close();
      },
    });
    const res = await fetch(`${bot.base}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    // And the process is still up.
    expect((await fetch(`${bot.base}/healthz`)).status).toBe(200);
  });

  it('reports health and Prometheus metrics with request counts and ack latency', async () => {
    const health = await fetch(`${bot.base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', redis: 'up' });
    await bot.sendEvent({
      type: 'message',
      channel: 'C1',
      channel_type: 'channel',
      user: 'U1',
      text: 'lunch?',
      ts: '9.1',
    });
    const metrics = await (await fetch(`${bot.base}/metrics`)).text();
    expect(metrics).toMatch(/backchannel_requests_total\{kind="event",outcome="ignored"\} [1-9]/);
    expect(metrics).toMatch(/backchannel_ack_seconds_count\{kind="event",status="200"\} [1-9]/);
  });

  it('never logs the secrets', () => {
    const all = bot.logs.lines.join('\n');
    expect(all).not.toContain('test-signing-secret');
    expect(all).not.toContain('xoxb-test-token');
    expect(all).not.toContain('sk-test-secret');
  });
});
