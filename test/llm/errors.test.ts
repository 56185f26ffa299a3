import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import {
  type ClassifyContext,
  classifyAttemptError,
  createSanitizer,
  errorFromStatus,
  LlmError,
  partialTextOf,
} from '../../src/llm/errors.js';

/**
 * Classification of what the SDK throws, on errors built the way openai@7 builds them from a
 * response (`APIError.generate` with the parsed body and the headers), without any HTTP.
 */

const KEY = 'sk-test-DO-NOT-LEAK-0123456789abcdef';
const ctx: ClassifyContext = { sanitize: createSanitizer([KEY]), keyConfigured: true };

const statusError = (
  status: number,
  body?: { code?: string | null; type?: string; message?: string },
  headers: Record<string, string> = {},
): APIError => APIError.generate(status, body ? { error: body } : undefined, undefined, new Headers(headers));

const fromStatus = (...args: Parameters<typeof statusError>) => {
  const err = statusError(...args);
  return errorFromStatus(err, err.status ?? 0, ctx);
};

describe('errorFromStatus', () => {
  it('makes a 429 a retryable rate limit, with the server hint, status and request id', () => {
    const err = fromStatus(
      429,
      { code: 'rate_limit_exceeded', type: 'requests', message: 'slow down' },
      { 'retry-after': '3', 'x-request-id': 'req_123' },
    );

    expect(err).toBeInstanceOf(LlmError);
    expect(err).toMatchObject({
      code: 'llm_rate_limited',
      retryable: true,
      retryAfterMs: 3000,
      status: 429,
      requestId: 'req_123',
    });
    expect(err.message).toBe('LLM rate limit hit (HTTP 429 rate_limit_exceeded [requests])');
  });

  it.each([
    ['code', { code: 'insufficient_quota', type: 'insufficient_quota' }],
    ['type alone', { code: null, type: 'insufficient_quota' }],
  ])('makes insufficient_quota (by %s) final, whatever retry-after says', (_, body) => {
    const err = fromStatus(
      429,
      { ...body, message: 'You exceeded your current quota' },
      { 'retry-after': '1' },
    );

    expect(err.code).toBe('llm_quota_exceeded');
    expect(err.retryable).toBe(false);
    expect(err.retryAfterMs).toBe(1000);
    expect(err.message).toContain('check the billing');
  });

  it.each([401, 403])('makes %i final llm_auth, without the server text (it can quote the key)', (status) => {
    const err = fromStatus(status, {
      code: 'invalid_api_key',
      message: `Incorrect API key provided: ${KEY}`,
    });

    expect(err.code).toBe('llm_auth');
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(
      `LLM server rejected the credentials (HTTP ${status} invalid_api_key); check OPENAI_API_KEY`,
    );
  });

  it('hints that no key is set when none is configured', () => {
    const err = statusError(401, { code: 'invalid_api_key', message: 'Missing bearer token' });

    const classified = errorFromStatus(err, 401, { ...ctx, keyConfigured: false });

    expect(classified.message).toContain('OPENAI_API_KEY is not set');
  });

  it('makes a 408 a retryable llm_timeout', () => {
    expect(fromStatus(408)).toMatchObject({ code: 'llm_timeout', retryable: true, status: 408 });
  });

  it.each([409, 500, 502, 503, 529])('makes %i a retryable llm_server_error', (status) => {
    expect(fromStatus(status)).toMatchObject({ code: 'llm_server_error', retryable: true, status });
  });

  it.each([400, 404, 413, 422])('makes %i a final llm_bad_request naming the status and code', (status) => {
    const err = fromStatus(status, { code: 'context_length_exceeded', message: 'too long' });

    expect(err).toMatchObject({ code: 'llm_bad_request', retryable: false, status });
    expect(err.message).toBe(`LLM request refused (HTTP ${status} context_length_exceeded): too long`);
  });

  it('adds the server text to a refusal, sanitised: key masked, one line, bounded', () => {
    const err = fromStatus(400, {
      code: 'bad',
      type: 'invalid_request_error',
      message: `key ${KEY}\n\n${'x'.repeat(400)}`,
    });

    expect(err.message).not.toContain(KEY);
    expect(err.message).toContain('key [redacted] xxx');
    expect(err.message).not.toContain('\n');
    expect(err.message.endsWith('…')).toBe(true);
    expect(err.message.length).toBeLessThan(300);
  });
});

describe('classifyAttemptError', () => {
  it('makes anything thrown once the stream opened a retryable cut stream keeping the text', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

    const err = classifyAttemptError(new TypeError('terminated', { cause: reset }), 'stream', 'Half an', ctx);

    expect(err).toMatchObject({ code: 'llm_stream_cut', retryable: true, partialText: 'Half an' });
    expect(err.message).toBe(
      'LLM stream cut after 7 chars (TypeError: terminated ← socket hang up [ECONNRESET])',
    );
  });

  it('says a server error event cut the stream, with its sanitised text', () => {
    const event = new APIError(undefined, { message: `quota for ${KEY}` }, undefined, undefined);

    const err = classifyAttemptError(event, 'stream', 'hi', ctx);

    expect(err.code).toBe('llm_stream_cut');
    expect(err.message).toBe('LLM stream cut after 2 chars (server sent an error: quota for [redacted])');
    expect(err.cause).toBeUndefined();
  });

  it('makes a connect timeout a retryable llm_timeout', () => {
    const err = classifyAttemptError(new APIConnectionTimeoutError(), 'connect', '', ctx);

    expect(err).toMatchObject({ code: 'llm_timeout', retryable: true });
  });

  it('makes a connection failure a retryable llm_unreachable naming the socket error', () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' });
    const fetchFailed = new TypeError('fetch failed', { cause: socket });

    const err = classifyAttemptError(new APIConnectionError({ cause: fetchFailed }), 'connect', '', ctx);

    expect(err).toMatchObject({ code: 'llm_unreachable', retryable: true, cause: fetchFailed });
    expect(err.message).toBe(
      'LLM server unreachable (TypeError: fetch failed ← connect ECONNREFUSED 127.0.0.1:8000)',
    );
  });

  it('classifies a status error from the connect phase by its status', () => {
    const err = classifyAttemptError(statusError(503), 'connect', '', ctx);

    expect(err).toMatchObject({ code: 'llm_server_error', retryable: true, status: 503 });
  });

  it('passes an LlmError through unchanged', () => {
    const cut = new LlmError('llm_stream_cut', 'ended without a finish reason', { partialText: 'x' });

    expect(classifyAttemptError(cut, 'stream', 'x', ctx)).toBe(cut);
  });

  it('makes anything else a final llm_server_error that keeps the cause', () => {
    const odd = new RangeError('bad state');

    const err = classifyAttemptError(odd, 'connect', '', ctx);

    expect(err).toMatchObject({ code: 'llm_server_error', retryable: false, cause: odd });
    expect(err.message).toBe('LLM call failed unexpectedly (RangeError: bad state)');
    expect(classifyAttemptError('a string', 'connect', '', ctx).message).toContain('unknown error');
  });
});

describe('LlmError', () => {
  it('keeps the partial text out of its enumerable fields and JSON', () => {
    const err = new LlmError('llm_stream_cut', 'cut', { partialText: 'secret plans', retryable: true });

    expect(partialTextOf(err)).toBe('secret plans');
    expect(Object.keys(err)).not.toContain('partialText');
    expect(JSON.stringify(err)).not.toContain('secret plans');
  });

  it('has no partial text for other errors', () => {
    expect(partialTextOf(new Error('x'))).toBe('');
    expect(partialTextOf(undefined)).toBe('');
  });
});
