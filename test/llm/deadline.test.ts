import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient, type LlmError } from '../../src/llm/client.js';
import { freePort } from '../../standins/redis-server.js';
import { answer, chunk, event, silentLogger, testConfig } from './sse.js';

/**
 * The deadline against a real HTTP server on loopback, in a process that has been busy for a
 * while and collects garbage meanwhile: a deadline made of `AbortSignal.any` + `AbortSignal.timeout`
 * has been seen never to fire in a long-running Node 20 process (the collector can take a timeout
 * signal that only `AbortSignal.any` holds before it fires: https://github.com/nodejs/node/issues/57736).
 *
 * No nock in this file: it talks only to its own server on 127.0.0.1, and nock's fetch
 * interceptor does not pass aborts through to a real socket, which would hide whether the
 * deadline really closes the connection.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type Mode = 'answer' | 'hang' | 'silent' | 'cut';
let mode: Mode = 'answer';
let requests = 0;
let closed = 0;
const server = http.createServer((req, res) => {
  requests++;
  req.resume();
  res.on('close', () => closed++);
  if (mode === 'silent') return;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (mode === 'answer') {
    res.end(answer(['Hello', ' there']));
    return;
  }
  res.write(event(chunk('Partial')));
  if (mode === 'cut') setTimeout(() => res.socket?.destroy(), 30);
});
let baseUrl = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const messages = [{ role: 'user' as const, content: 'Alice: hi' }];

const timed = async (p: Promise<unknown>) => {
  const started = Date.now();
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as LlmError | undefined;
  return { err, ms: Date.now() - started };
};

describe('the deadline in a long-lived client', () => {
  it('still fires after many calls, idle time and garbage collections', async () => {
    const timeoutMs = 800;
    const client = createLlmClient({ config: testConfig({ baseUrl, timeoutMs }), logger: silentLogger() });

    mode = 'answer';
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(Array.from({ length: 6 }, () => client.stream({ messages })));
      for (const r of results) expect(r.text).toBe('Hello there');
      gc();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    mode = 'hang';
    const collector = setInterval(gc, 50);
    try {
      const closedBefore = closed;
      const { err, ms } = await timed(client.stream({ messages }));
      expect(err?.code).toBe('llm_timeout');
      expect(err?.partialText).toBe('Partial');
      expect(ms).toBeGreaterThanOrEqual(timeoutMs - 10);
      expect(ms).toBeLessThan(timeoutMs + 1_000);
      // The abort reached the socket: the hung response is not left open.
      await expect.poll(() => closed - closedBefore).toBe(1);

      mode = 'silent';
      const silent = await timed(client.stream({ messages }));
      expect(silent.err?.code).toBe('llm_timeout');
      expect(silent.ms).toBeLessThan(timeoutMs + 1_000);
    } finally {
      clearInterval(collector);
    }

    mode = 'answer';
    expect((await client.stream({ messages })).text).toBe('Hello there');
  });

  it('ends a silent or stalled stream at its first-token or idle deadline, long after start-up', async () => {
    const client = createLlmClient({
      config: testConfig({ baseUrl, timeoutMs: 20_000, firstTokenTimeoutMs: 600, idleTimeoutMs: 600 }),
      logger: silentLogger(),
    });
    mode = 'answer';
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 6 }, () => client.stream({ messages })));
      gc();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const collector = setInterval(gc, 50);
    try {
      mode = 'silent';
      const silent = await timed(client.stream({ messages }));
      expect(silent.err?.code).toBe('llm_first_token_timeout');
      expect(silent.ms).toBeGreaterThanOrEqual(590);
      expect(silent.ms).toBeLessThan(2_000);

      mode = 'hang';
      const closedBefore = closed;
      const stalled = await timed(client.stream({ messages }));
      expect(stalled.err?.code).toBe('llm_idle_timeout');
      expect(stalled.err?.partialText).toBe('Partial');
      expect(stalled.ms).toBeLessThan(2_000);
      await expect.poll(() => closed - closedBefore).toBe(1);
    } finally {
      clearInterval(collector);
    }
  });

  it('reports a connection reset midway as a cut stream with the partial text, without retrying', async () => {
    const client = createLlmClient({ config: testConfig({ baseUrl }), logger: silentLogger() });
    mode = 'cut';
    const before = requests;

    const { err } = await timed(client.stream({ messages }));

    expect(err?.code).toBe('llm_stream_cut');
    expect(err?.partialText).toBe('Partial');
    expect(requests - before).toBe(1);
  });

  it('maps a refused connection to llm_unreachable', async () => {
    const port = await freePort();
    const client = createLlmClient({
      config: testConfig({ baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }),
      logger: silentLogger(),
    });

    const { err } = await timed(client.stream({ messages }));

    expect(err?.code).toBe('llm_unreachable');
    expect(err?.retryable).toBe(true);
    expect(err?.message).toContain('ECONNREFUSED');
  });
});
