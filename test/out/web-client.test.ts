import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import nock from 'nock';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toSlackAppError } from '../../src/out/slack-error.js';
import { createSlackClient } from '../../src/out/web-client.js';

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

/**
 * A Slack that stalls: before its headers, or after them, mid-body. A real socket, because nock
 * cannot hold a response back without breaking fetch's abort (nock 15 delays only the body, and its
 * socket emulation trips an assertion in Node's undici when that body is aborted).
 */
const stallingSlack = async (stall: 'headers' | 'body') => {
  const server = http.createServer((_req, res) => {
    if (stall === 'body') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"ok":');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
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
    expect(err).toBeInstanceOf(WebAPIRateLimitedError);
    expect(err).toMatchObject({ retryAfter: 7 });
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
    const err = await client.chat.postMessage({ channel: 'C1', text: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebAPIHTTPError);
    expect(err).toMatchObject({ statusCode: 503 });
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
    const err = await client.chat.postMessage({ channel: 'C1', text: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebAPIPlatformError);
    expect(err).toMatchObject({ data: { error: 'channel_not_found' } });
    scope.done();
  });

  it.each([
    ['before its headers', 'headers'],
    ['mid-body', 'body'],
  ] as const)('times a request out when Slack stalls %s, as an error worth retrying', async (_, stall) => {
    const slack = await stallingSlack(stall);
    try {
      const client = createSlackClient({
        token: TOKEN,
        apiUrl: slack.apiUrl,
        logger: pino({ level: 'silent' }),
        timeoutMs: 50,
        retries: 0,
      });
      const started = Date.now();
      const err = await client.chat.postMessage({ channel: 'C1', text: 'hi' }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2000);
      // Before the headers fetch rejects inside the WebClient (a WebAPIRequestError); mid-body the
      // WebClient lets fetch's own TimeoutError through.
      if (stall === 'headers') expect(err).toBeInstanceOf(WebAPIRequestError);
      expect(JSON.stringify(err)).not.toContain(TOKEN);
      expect(toSlackAppError(err, 'chat.postMessage')).toMatchObject({ code: 'slack_api', retryable: true });
    } finally {
      await slack.close();
    }
  });

  it('keeps message text and the token out of debug logs', async () => {
    nock(BASE)
      .post('/api/chat.postMessage')
      .reply(200, { ok: true, ts: '1.1', message: { text: 'the secret answer' } });
    const { lines, logger } = capture();
    const client = createSlackClient({ token: TOKEN, apiUrl: `${BASE}/api/`, logger });
    await client.chat.postMessage({ channel: 'C1', text: 'the secret answer' });
    const log = lines.join('');
    expect(log).toContain('http request body [payload omitted]');
    expect(log).not.toContain('secret answer');
    expect(log).not.toContain(TOKEN);
  });
});
