import { Writable } from 'node:stream';
import { ErrorCode } from '@slack/web-api';
import nock from 'nock';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSlackClient } from '../../src/slack/web-client.js';

const BASE = 'http://slack.test';
const TOKEN = 'xoxb-test-token-never-shown';

const capture = () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
};

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('createSlackClient', () => {
  it('sends methods to the configured API base with the bot token', async () => {
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .post('/api/auth.test')
      .reply(200, { ok: true, user_id: 'UBOT' });
    const client = createSlackClient({
      token: TOKEN,
      apiUrl: `${BASE}/api/`,
      logger: pino({ level: 'silent' }),
    });
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true, user_id: 'UBOT' });
    scope.done();
  });

  it('rejects a 429 at once with its Retry-After instead of pausing every call', async () => {
    const scope = nock(BASE).post('/api/chat.postMessage').reply(429, { ok: false }, { 'retry-after': '7' });
    const client = createSlackClient({
      token: TOKEN,
      apiUrl: `${BASE}/api/`,
      logger: pino({ level: 'silent' }),
    });
    const started = Date.now();
    const err = await client.chat.postMessage({ channel: 'C1', text: 'hi' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 });
    expect(Date.now() - started).toBeLessThan(2000);
    scope.done();
  });

  it('retries a 5xx twice, then gives up', async () => {
    const scope = nock(BASE).post('/api/chat.postMessage').times(3).reply(503, 'unavailable');
    const client = createSlackClient({
      token: TOKEN,
      apiUrl: `${BASE}/api/`,
      logger: pino({ level: 'silent' }),
      retryMinDelayMs: 1,
    });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'hi' })).rejects.toMatchObject({
      code: ErrorCode.HTTPError,
      statusCode: 503,
    });
    scope.done();
  });

  it('never retries a Slack error answer', async () => {
    const scope = nock(BASE)
      .post('/api/chat.postMessage')
      .once()
      .reply(200, { ok: false, error: 'channel_not_found' });
    const client = createSlackClient({
      token: TOKEN,
      apiUrl: `${BASE}/api/`,
      logger: pino({ level: 'silent' }),
    });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'hi' })).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
    });
    scope.done();
  });

  it('times a request out', async () => {
    nock(BASE).post('/api/chat.postMessage').delay(500).reply(200, { ok: true });
    const client = createSlackClient({
      token: TOKEN,
      apiUrl: `${BASE}/api/`,
      logger: pino({ level: 'silent' }),
      timeoutMs: 50,
      retries: 0,
    });
    const err = await client.chat.postMessage({ channel: 'C1', text: 'hi' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.RequestError });
    expect(JSON.stringify(err)).not.toContain(TOKEN);
  });

  it('keeps message text and the token out of debug logs', async () => {
    nock(BASE)
      .post('/api/chat.postMessage')
      .reply(200, { ok: true, ts: '1.1', message: { text: 'the secret answer' } });
    const { lines, logger } = capture();
    const client = createSlackClient({ token: TOKEN, apiUrl: `${BASE}/api/`, logger });
    await client.chat.postMessage({ channel: 'C1', text: 'the secret answer' });
    const log = lines.join('');
    expect(log).toContain('http request body: [omitted]');
    expect(log).not.toContain('secret answer');
    expect(log).not.toContain(TOKEN);
  });
});
