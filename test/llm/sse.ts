import { PassThrough } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/core/logger.js';
import type { LlmConfig } from '../../src/llm/client.js';

/** Builders for a fake OpenAI-compatible server's streamed answers. */

export const ORIGIN = 'http://llm.test';
export const PATH = '/v1/chat/completions';
export const API_KEY = 'sk-test-DO-NOT-LEAK-0123456789abcdef';

export const testConfig = (over: Partial<LlmConfig> = {}): LlmConfig => ({
  apiKey: API_KEY,
  baseUrl: `${ORIGIN}/v1`,
  model: 'gpt-test',
  maxAnswerTokens: 256,
  timeoutMs: 5_000,
  maxRetries: 3,
  firstTokenTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  ...over,
});

export const SSE_HEADERS = { 'content-type': 'text/event-stream' };

export const chunk = (content: string | undefined, finishReason: string | null = null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'gpt-test-2025',
  choices: [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finishReason }],
});

export const usageChunk = (prompt: number, completion: number) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'gpt-test-2025',
  choices: [],
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
});

export const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

/** A complete answer: one chunk per piece, a `stop`, usage, and `[DONE]`. */
export const answer = (pieces: string[], usage: [number, number] = [12, pieces.length]) =>
  [
    ...pieces.map((p) => event(chunk(p))),
    event(chunk(undefined, 'stop')),
    event(usageChunk(...usage)),
    'data: [DONE]\n\n',
  ].join('');

/**
 * Headers for `hangingBody`. With a declared length the response does not end when its connection
 * closes: nock 15's socket closes quietly after the client aborted, and a close-delimited response
 * would then complete inside Node's undici after the abort, tripping an assertion there.
 */
export const HANGING_SSE_HEADERS = { ...SSE_HEADERS, 'content-length': String(1 << 20) };

/** A body that sends `pieces` and then never ends (a hung server). */
export const hangingBody = (pieces: string[]) => () => {
  const body = new PassThrough();
  for (const p of pieces) body.write(event(chunk(p)));
  return body;
};

/** A body that sends `pieces` and then breaks, like a reset connection. */
export const cutBody = (pieces: string[]) => () => {
  const body = new PassThrough();
  for (const p of pieces) body.write(event(chunk(p)));
  setTimeout(() => body.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 20);
  return body;
};

export const errorBody = (code: string | null, message: string, type = 'invalid_request_error') => ({
  error: { message, type, param: null, code },
});

/** A logger whose lines the test can read. */
export const captureLogger = (): { logger: Logger; lines: string[] } => {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
};

export const silentLogger = (): Logger => pino({ level: 'silent' });
