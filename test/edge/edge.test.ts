import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { startBackchannel } from '../../src/main.js';
import { captureLogs, startTestBot, type TestBot } from '../support/in-process-bot.js';
import { pause, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();

describe('thread keys in Slack Connect channels', () => {
  it('answers a reply in a followed thread from another organisation’s user (event.team differs)', async () => {
    const s = await start();
    const { ts } = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'what is a backchannel?' });
    await waitForReplies(s, 'C1', ts);

    // Slack Connect: the reply's author belongs to another workspace; the envelope (and the
    // installation it was delivered to) is still ours.
    const reply = s.slack.addMessage({
      channel: 'C1',
      user: 'U0EXT',
      text: 'and a side channel?',
      thread_ts: ts,
    });
    const delivery = await s.driver.event({
      type: 'message',
      user: 'U0EXT',
      text: 'and a side channel?',
      ts: reply.ts,
      thread_ts: ts,
      channel: 'C1',
      channel_type: 'channel',
      team: 'T0EXTERNAL',
      user_team: 'T0EXTERNAL',
      source_team: 'T0EXTERNAL',
    });
    expect(delivery.ack.status).toBe(200);
    const replies = await waitForReplies(s, 'C1', ts, 2);
    expect(replies[1]?.text).toContain('and a side channel?');
  });
});

describe('ids at the edge', () => {
  it('refuses /ask with a 10,000-character user id privately, and stores and answers nothing', async () => {
    const s = await start();
    const { ack } = await s.driver.command({
      text: 'hello?',
      user: `U${'A'.repeat(9_999)}`,
      channel: 'C2',
    });
    expect(ack.status).toBe(200);
    expect(JSON.parse(ack.body)).toEqual({
      response_type: 'ephemeral',
      text: expect.stringMatching(/could not read that command/),
    });
    await pause(300);
    expect(s.llm.requests()).toHaveLength(0);
    expect(s.slack.messages('C2')).toHaveLength(0);
  });
});

describe('requests no listener takes', () => {
  it('acknowledges a click on a button that is not the bot’s at once, not with a 404 after 3 s', async () => {
    const s = await start();
    const { ack } = await s.driver.blockAction({ user: 'U3', actionId: 'not_ours', container: 'view' });
    expect(ack.status).toBe(200);
    expect(ack.latencyMs).toBeLessThan(2_000);
  });
});

describe('/metrics', () => {
  let bot: TestBot | undefined;
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
  const get = async (url: string, token?: string) => {
    const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, text: await res.text() };
  };

  it('needs the bearer token when METRICS_TOKEN is set', async () => {
    bot = await startTestBot({ redisUrl: inject('redisUrl'), env: { METRICS_TOKEN: 'scrape-secret' } });
    expect((await get(`${bot.base}/metrics`)).status).toBe(401);
    expect((await get(`${bot.base}/metrics`, 'wrong')).status).toBe(401);
    const ok = await get(`${bot.base}/metrics`, 'scrape-secret');
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('backchannel_requests_total');
    expect(bot.logs.lines.join('\n')).not.toContain('scrape-secret');
  });

  it('moves to its own listener with METRICS_PORT, still behind METRICS_TOKEN', async () => {
    bot = await startTestBot({
      redisUrl: inject('redisUrl'),
      env: { METRICS_PORT: '0', METRICS_TOKEN: 'scrape-secret' },
    });
    const metricsBase = `http://127.0.0.1:${bot.bot.metricsPort}`;
    expect(bot.bot.metricsPort).toBeGreaterThan(0);
    expect(bot.bot.metricsPort).not.toBe(bot.bot.port);
    // Gone from the public port, whatever the token.
    expect((await get(`${bot.base}/metrics`, 'scrape-secret')).status).toBe(404);
    expect((await get(`${bot.base}/healthz`)).status).toBe(200);
    expect((await get(`${metricsBase}/metrics`)).status).toBe(401);
    expect((await get(`${metricsBase}/metrics`, 'scrape-secret')).text).toContain('backchannel_ack_seconds');
    expect((await get(`${metricsBase}/healthz`)).status).toBe(404);
  });

  it('is open on its own listener with METRICS_PORT alone', async () => {
    bot = await startTestBot({ redisUrl: inject('redisUrl'), env: { METRICS_PORT: '0' } });
    expect((await get(`${bot.base}/metrics`)).status).toBe(404);
    expect((await get(`http://127.0.0.1:${bot.bot.metricsPort}/metrics`)).status).toBe(200);
  });
});

describe('Socket Mode at debug level', () => {
  it('logs no envelope payload: the message text never reaches the logs', async () => {
    const secret = `text-${randomUUID()}`;
    const acked: string[] = [];
    const api = http.createServer((req, res) => {
      const method = req.url?.split('?')[0]?.split('/').pop();
      res.setHeader('content-type', 'application/json');
      if (method === 'auth.test')
        res.end(JSON.stringify({ ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0TEAM' }));
      else if (method === 'apps.connections.open')
        res.end(
          JSON.stringify({ ok: true, url: `ws://127.0.0.1:${(api.address() as AddressInfo).port}/link` }),
        );
      else res.end(JSON.stringify({ ok: true }));
    });
    const wss = new WebSocketServer({ server: api });
    wss.on('connection', (ws) => {
      ws.on('message', (data) => acked.push(String(data)));
      ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0APP' } }));
      ws.send(
        JSON.stringify({
          envelope_id: 'env-1',
          type: 'events_api',
          accepts_response_payload: false,
          retry_attempt: 0,
          retry_reason: '',
          payload: {
            team_id: 'T0TEAM',
            api_app_id: 'A0APP',
            type: 'event_callback',
            event_id: 'Ev0SOCKET',
            event_time: Math.floor(Date.now() / 1000),
            authorizations: [{ team_id: 'T0TEAM', user_id: 'U0BOT', is_bot: true }],
            event: {
              type: 'message',
              channel: 'C0SOCKET',
              channel_type: 'channel',
              user: 'U1',
              text: secret,
              ts: '1700000000.000100',
            },
          },
        }),
      );
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const logs = captureLogs();
    const bot = await startBackchannel({
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'debug',
        SLACK_BOT_TOKEN: 'xoxb-socket-token',
        SLACK_APP_TOKEN: 'xapp-socket-token',
        SLACK_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/`,
        OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
        REDIS_URL: inject('redisUrl'),
        REDIS_PREFIX: `sock${randomUUID().slice(0, 8)}`,
        PORT: '0',
      },
      role: 'web',
      logger: logs.logger,
    });
    try {
      const deadline = Date.now() + 10_000;
      while (!logs.lines.some((l) => l.includes('message ignored')) && Date.now() < deadline) await pause(25);
      expect(acked.some((a) => a.includes('env-1'))).toBe(true);
      expect(logs.lines.some((l) => l.includes('message ignored'))).toBe(true);
      expect(logs.lines.filter((l) => l.includes(secret))).toEqual([]);
      // The path was taken (the client logged the envelope), without its payload.
      expect(
        logs.lines.some((l) => l.includes('Received a message on the WebSocket [payload omitted]')),
      ).toBe(true);
    } finally {
      await bot.stop();
      wss.close();
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
