import { inspect } from 'node:util';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/core/domain.js';
import { createLlmClient, type LlmClientDeps, LlmError, partialTextOf } from '../../src/llm/client.js';
import {
  API_KEY,
  answer,
  captureLogger,
  chunk,
  cutBody,
  errorBody,
  event,
  HANGING_SSE_HEADERS,
  hangingBody,
  ORIGIN,
  PATH,
  SSE_HEADERS,
  silentLogger,
  testConfig,
} from './sse.js';

const messages: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Alice: what is 2 + 2?' },
];

/** A client whose backoff sleeps are recorded instead of waited. */
const setup = (over: Partial<LlmClientDeps> = {}) => {
  const waits: number[] = [];
  const client = createLlmClient({
    config: testConfig(),
    logger: silentLogger(),
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0,
    ...over,
  });
  return { client, waits };
};

const failure = async (p: Promise<unknown>): Promise<LlmError> => {
  const err = await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  return err as LlmError;
};

/**
 * A server that never sends its headers. (nock 15's `delay` holds back only the end of the body, and
 * aborting a body it delays trips an assertion in Node's undici.)
 */
const silence = () => new Promise<never>(() => {});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('streaming', () => {
  it('delivers the deltas in order and returns the text, finish reason, usage and model', async () => {
    let sent: Record<string, unknown> | undefined;
    let auth: string | undefined;
    const scope = nock(ORIGIN)
      .post(PATH, (body) => {
        sent = body;
        return true;
      })
      .reply((request: Request) => {
        auth = String(request.headers.get('authorization'));
        return [200, answer(['Two', ' plus two', ' is four.'], [21, 5]), SSE_HEADERS];
      });
    const { client } = setup();
    const deltas: string[] = [];

    const result = await client.stream({ messages, onDelta: (d) => deltas.push(d) });

    expect(deltas).toEqual(['Two', ' plus two', ' is four.']);
    expect(result).toMatchObject({
      text: 'Two plus two is four.',
      finishReason: 'stop',
      usage: { promptTokens: 21, completionTokens: 5 },
      model: 'gpt-test-2025',
      attempts: 1,
    });
    expect(result.firstTokenMs).toBeGreaterThanOrEqual(0);
    expect(result.ms).toBeGreaterThanOrEqual(result.firstTokenMs ?? 0);
    expect(sent).toMatchObject({
      model: 'gpt-test',
      messages,
      max_tokens: 256,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(auth).toBe(`Bearer ${API_KEY}`);
    expect(scope.isDone()).toBe(true);
  });

  it('sends the per-call max_tokens and a placeholder key when none is configured', async () => {
    let sent: Record<string, unknown> | undefined;
    let auth: string | undefined;
    nock(ORIGIN)
      .post(PATH, (body) => {
        sent = body;
        return true;
      })
      .reply((request: Request) => {
        auth = String(request.headers.get('authorization'));
        return [200, answer(['ok']), SSE_HEADERS];
      });
    const { client } = setup({ config: testConfig({ apiKey: undefined }) });

    await client.stream({ messages, maxTokens: 50 });

    expect(sent?.max_tokens).toBe(50);
    expect(auth).toBe('Bearer not-set');
  });

  it('returns without usage when the server does not send it, and reports `length`', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(
        200,
        [event(chunk('partial answ')), event(chunk('er', 'length')), 'data: [DONE]\n\n'].join(''),
        SSE_HEADERS,
      );
    const { client } = setup();

    const result = await client.stream({ messages });

    expect(result.text).toBe('partial answer');
    expect(result.finishReason).toBe('length');
    expect(result.usage).toBeUndefined();
  });

  it('cuts off visibly, keeping the partial text, when the connection breaks midway, and does not retry', async () => {
    const scope = nock(ORIGIN)
      .post(PATH)
      .reply(200, cutBody(['Once upon', ' a time']), SSE_HEADERS);
    const second = nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['never sent']), SSE_HEADERS);
    const { client, waits } = setup();
    const deltas: string[] = [];

    const err = await failure(client.stream({ messages, onDelta: (d) => deltas.push(d) }));

    expect(err.code).toBe('llm_stream_cut');
    expect(err.retryable).toBe(true);
    expect(err.partialText).toBe('Once upon a time');
    expect(partialTextOf(err)).toBe('Once upon a time');
    expect(deltas).toEqual(['Once upon', ' a time']);
    expect(scope.isDone()).toBe(true);
    expect(second.isDone()).toBe(false);
    expect(waits).toEqual([]);
  });

  it('keeps the partial text out of the logged error', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(200, cutBody(['secret plans']), SSE_HEADERS);
    const { client } = setup();
    const { logger, lines } = captureLogger();

    const err = await failure(client.stream({ messages }));
    logger.error({ err }, 'answer failed');

    expect(err.partialText).toBe('secret plans');
    expect(lines.join('')).toContain('llm_stream_cut');
    expect(lines.join('')).not.toContain('secret plans');
  });

  it('treats a stream that ends without a finish reason as cut', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(200, [event(chunk('Half')), event(chunk(' an answer'))].join(''), SSE_HEADERS);
    const { client } = setup();

    const err = await failure(client.stream({ messages }));

    expect(err.code).toBe('llm_stream_cut');
    expect(err.partialText).toBe('Half an answer');
  });

  it('retries a stream that broke before any text arrived', async () => {
    nock(ORIGIN).post(PATH).reply(200, cutBody([]), SSE_HEADERS);
    nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['fine']), SSE_HEADERS);
    const { client, waits } = setup();

    const result = await client.stream({ messages });

    expect(result.text).toBe('fine');
    expect(result.attempts).toBe(2);
    expect(waits).toEqual([500]);
  });

  it('lets an error thrown by onDelta through as-is', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(200, hangingBody(['a', 'b']), HANGING_SSE_HEADERS);
    const { client } = setup();
    const boom = new Error('poster failed');

    await expect(
      client.stream({
        messages,
        onDelta: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
  });
});

describe('retries', () => {
  it('honours retry-after on a 429 rate_limit_exceeded, then succeeds', async () => {
    const scope = nock(ORIGIN)
      .post(PATH)
      .reply(429, errorBody('rate_limit_exceeded', 'Rate limit reached', 'requests'), { 'retry-after': '2' })
      .post(PATH)
      .reply(429, errorBody('rate_limit_exceeded', 'Rate limit reached', 'requests'), {
        'retry-after-ms': '750',
        'retry-after': '1',
      })
      .post(PATH)
      .reply(200, answer(['ok']), SSE_HEADERS);
    const { client, waits } = setup();

    const result = await client.stream({ messages });

    expect(result.text).toBe('ok');
    expect(result.attempts).toBe(3);
    expect(waits).toEqual([2000, 750]);
    expect(scope.isDone()).toBe(true);
  });

  it('retries a 429 without a code with exponential backoff', async () => {
    nock(ORIGIN).post(PATH).reply(429, 'Too Many Requests');
    nock(ORIGIN).post(PATH).reply(429, 'Too Many Requests');
    nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['ok']), SSE_HEADERS);
    const { client, waits } = setup();

    await client.stream({ messages });

    expect(waits).toEqual([500, 1000]);
  });

  it('never retries insufficient_quota', async () => {
    const scope = nock(ORIGIN)
      .post(PATH)
      .reply(429, errorBody('insufficient_quota', 'You exceeded your current quota', 'insufficient_quota'), {
        'retry-after': '1',
      });
    const extra = nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['no']), SSE_HEADERS);
    const { client, waits } = setup();

    const err = await failure(client.stream({ messages }));

    expect(err.code).toBe('llm_quota_exceeded');
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(429);
    expect(scope.isDone()).toBe(true);
    expect(extra.isDone()).toBe(false);
    expect(waits).toEqual([]);
  });

  it('retries 5xx with capped exponential backoff and jitter, then succeeds', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(500, errorBody(null, 'The server had an error', 'server_error'));
    nock(ORIGIN).post(PATH).reply(503, 'upstream unavailable');
    nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['back']), SSE_HEADERS);
    const { client, waits } = setup({ random: () => 1 });

    const result = await client.stream({ messages });

    expect(result.text).toBe('back');
    // 0.5 s then 1 s, each with the full 25 % jitter taken off.
    expect(waits).toEqual([375, 750]);
  });

  it('retries 408 and 409', async () => {
    nock(ORIGIN).post(PATH).reply(408, 'timeout');
    nock(ORIGIN).post(PATH).reply(409, 'conflict');
    nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['ok']), SSE_HEADERS);
    const { client, waits } = setup();

    expect((await client.stream({ messages })).attempts).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it('retries connection errors', async () => {
    nock(ORIGIN)
      .post(PATH)
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['ok']), SSE_HEADERS);
    const { client, waits } = setup();

    expect((await client.stream({ messages })).text).toBe('ok');
    expect(waits).toEqual([500]);
  });

  it('gives up after LLM_MAX_RETRIES with the retryable error', async () => {
    const scope = nock(ORIGIN).post(PATH).times(3).reply(502, 'bad gateway');
    const { client, waits } = setup({ config: testConfig({ maxRetries: 2 }) });

    const err = await failure(client.stream({ messages }));

    expect(err.code).toBe('llm_server_error');
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(502);
    expect(waits).toEqual([500, 1000]);
    expect(scope.isDone()).toBe(true);
  });

  it('does not retry a 400 and names the status and code', async () => {
    const scope = nock(ORIGIN)
      .post(PATH)
      .reply(400, errorBody('context_length_exceeded', "This model's maximum context length is 8192 tokens"));
    const extra = nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['no']), SSE_HEADERS);
    const { client, waits } = setup();

    const err = await failure(client.stream({ messages }));

    expect(err.code).toBe('llm_bad_request');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('HTTP 400 context_length_exceeded');
    expect(scope.isDone()).toBe(true);
    expect(extra.isDone()).toBe(false);
    expect(waits).toEqual([]);
  });

  it.each([401, 403])('maps %i to llm_auth without retrying', async (status) => {
    nock(ORIGIN).post(PATH).reply(status, errorBody('invalid_api_key', 'Incorrect API key provided'));
    const { client, waits } = setup();

    const err = await failure(client.stream({ messages }));

    expect(err.code).toBe('llm_auth');
    expect(err.message).toContain(`HTTP ${status}`);
    expect(waits).toEqual([]);
  });

  it('hints at OPENAI_API_KEY when a server rejects the call and no key is set', async () => {
    nock(ORIGIN).post(PATH).reply(401, errorBody('invalid_api_key', 'Missing bearer token'));
    const { client } = setup({ config: testConfig({ apiKey: undefined }) });

    const err = await failure(client.stream({ messages }));

    expect(err.code).toBe('llm_auth');
    expect(err.message).toContain('OPENAI_API_KEY is not set');
  });

  it('makes a single attempt with `retries: 0`, leaving the retry to the queue with the server hint', async () => {
    const scope = nock(ORIGIN)
      .post(PATH)
      .reply(429, errorBody('rate_limit_exceeded', 'slow down', 'tokens'), { 'retry-after': '7' });
    const extra = nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['no']), SSE_HEADERS);
    const { client, waits } = setup();

    const err = await failure(client.stream({ messages, retries: 0 }));

    expect(err.code).toBe('llm_rate_limited');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(7000);
    expect(scope.isDone()).toBe(true);
    expect(extra.isDone()).toBe(false);
    expect(waits).toEqual([]);
  });

  // 45 s is a hint openai@7 itself would sleep on (it honours up to 60 s); past 60 s it would retry
  // after its short backoff instead. Either way the SDK must not act on it: the queue does.
  it.each([45, 3600])('gives up at once when retry-after (%i s) exceeds the 30 s cap', async (seconds) => {
    nock(ORIGIN)
      .post(PATH)
      .reply(429, errorBody('rate_limit_exceeded', 'slow down'), { 'retry-after': String(seconds) });
    const extra = nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['no']), SSE_HEADERS);
    const { client, waits } = setup({ config: testConfig({ timeoutMs: 120_000 }) });
    const started = Date.now();

    const err = await failure(client.stream({ messages }));

    expect(err.code).toBe('llm_rate_limited');
    expect(err.retryAfterMs).toBe(seconds * 1000);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(extra.isDone()).toBe(false);
    expect(waits).toEqual([]);
  });

  it('gives up at once when the wait would outlast the deadline', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(429, errorBody('rate_limit_exceeded', 'slow down'), { 'retry-after': '20' });
    const { client, waits } = setup();

    const err = await failure(client.stream({ messages }));

    expect(err.code).toBe('llm_rate_limited');
    expect(waits).toEqual([]);
  });
});

describe('deadline and cancellation', () => {
  it('interrupts a hung stream at the deadline, keeping what arrived', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(200, hangingBody(['Thinking']), HANGING_SSE_HEADERS);
    const { client } = setup({ config: testConfig({ timeoutMs: 600 }) });
    const started = Date.now();

    const err = await failure(client.stream({ messages }));

    const elapsed = Date.now() - started;
    expect(err.code).toBe('llm_timeout');
    expect(err.retryable).toBe(true);
    expect(err.partialText).toBe('Thinking');
    expect(elapsed).toBeGreaterThanOrEqual(590);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('interrupts a server that never answers', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(() => silence());
    const { client } = setup({ config: testConfig({ timeoutMs: 500 }) });
    const started = Date.now();

    const err = await failure(client.stream({ messages }));

    expect(err.code).toBe('llm_timeout');
    expect(err.partialText).toBe('');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('ends with `cancelled` when aborted during a backoff sleep', async () => {
    nock(ORIGIN).post(PATH).reply(429, errorBody('rate_limit_exceeded', 'slow down'), { 'retry-after': '5' });
    const extra = nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['no']), SSE_HEADERS);
    // The real sleep, not the recording one.
    const client = createLlmClient({ config: testConfig({ timeoutMs: 20_000 }), logger: silentLogger() });
    const stop = new AbortController();
    const started = Date.now();
    setTimeout(() => stop.abort(), 200);

    const err = await failure(client.stream({ messages, signal: stop.signal, retries: 5 }));

    expect(err.code).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(extra.isDone()).toBe(false);
  });

  it('ends with `cancelled` when the caller aborts mid-stream, keeping the partial text', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(200, hangingBody(['Let me', ' see']), HANGING_SSE_HEADERS);
    const { client, waits } = setup();
    const stop = new AbortController();
    const deltas: string[] = [];

    const err = await failure(
      client.stream({
        messages,
        signal: stop.signal,
        onDelta: (d) => {
          deltas.push(d);
          if (deltas.length === 2) setTimeout(() => stop.abort(), 20);
        },
      }),
    );

    expect(err.code).toBe('cancelled');
    expect(err.retryable).toBe(false);
    expect(err.partialText).toBe('Let me see');
    expect(waits).toEqual([]);
  });

  it('ends with `cancelled` when aborted while waiting for the server', async () => {
    nock(ORIGIN)
      .post(PATH)
      .reply(() => silence());
    const { client } = setup();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const started = Date.now();

    const err = await failure(client.stream({ messages, signal: stop.signal }));

    expect(err.code).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('makes no request when the signal is already aborted', async () => {
    const scope = nock(ORIGIN)
      .post(PATH)
      .reply(200, answer(['no']), SSE_HEADERS);
    const { client } = setup();

    const err = await failure(client.stream({ messages, signal: AbortSignal.abort() }));

    expect(err.code).toBe('cancelled');
    expect(scope.isDone()).toBe(false);
  });
});

describe('secrets', () => {
  it('keeps the API key out of errors and logs, even when a server echoes it', async () => {
    const echo = `Incorrect API key provided: ${API_KEY}`;
    const { logger, lines } = captureLogger();
    const client = createLlmClient({
      config: testConfig({ maxRetries: 1 }),
      logger,
      sleep: async () => {},
    });
    const cases = [
      () => nock(ORIGIN).post(PATH).reply(401, errorBody('invalid_api_key', echo)),
      () => nock(ORIGIN).post(PATH).reply(400, errorBody('bad', echo)),
      () => nock(ORIGIN).post(PATH).times(2).reply(500, errorBody(null, echo)),
      () => nock(ORIGIN).post(PATH).times(2).reply(429, errorBody('rate_limit_exceeded', echo)),
      () =>
        nock(ORIGIN)
          .post(PATH)
          .reply(200, [event(chunk('hi')), event({ error: { message: echo } })].join(''), SSE_HEADERS),
    ];

    for (const arrange of cases) {
      arrange();
      const err = await failure(client.stream({ messages }));
      const seen = `${err.message}\n${err.stack}\n${inspect(err, { depth: 10 })}\n${JSON.stringify(err)}`;
      expect(seen).not.toContain(API_KEY);
      expect(seen).not.toContain('DO-NOT-LEAK');
      logger.error({ err }, 'answer failed');
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(API_KEY);
  });
});
