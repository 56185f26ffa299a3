import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { AppError, type ErrorCode } from '../core/errors.js';
import { retryAfterMsFrom } from './retry-policy.js';

/**
 * What an LLM call can fail with, classified once from what the SDK threw: an HTTP status (and the
 * server's error code), a connection failure, or a stream that broke off. Server text that makes it
 * into a message is sanitised first: some servers echo the key they were given.
 */

/**
 * Every error `stream()` raises, except one thrown by the caller's own `onDelta`, which passes
 * through unchanged. `partialText` is what the user may already
 * have seen: non-empty when a stream broke off after text arrived (`llm_stream_cut`, or
 * `llm_timeout` / `cancelled` midway), so the caller can keep it, marked as cut off.
 */
export class LlmError extends AppError {
  // Not enumerable, so logging the error (pino, JSON) leaves the answer text out: message text is
  // never logged.
  declare readonly partialText: string;
  /** HTTP status, for status errors. */
  readonly status: number | undefined;
  /** The server's request id, to quote to the provider's support. */
  readonly requestId: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: {
      cause?: unknown;
      retryable?: boolean;
      retryAfterMs?: number;
      partialText?: string;
      status?: number;
      requestId?: string;
    } = {},
  ) {
    super(code, message, opts);
    this.name = 'LlmError';
    Object.defineProperty(this, 'partialText', { value: opts.partialText ?? '', enumerable: false });
    this.status = opts.status;
    this.requestId = opts.requestId;
  }
}

/** The text a failed call had already streamed, or ''. */
export const partialTextOf = (err: unknown): string => (err instanceof LlmError ? err.partialText : '');

/** What classification needs to know besides the error. */
export interface ClassifyContext {
  /** Server-provided text for a message: secrets masked, bounded, on one line. */
  sanitize: (text: string) => string;
  /** Whether OPENAI_API_KEY is set, for the hint on a 401/403. */
  keyConfigured: boolean;
}

/** Masks `secrets` and anything key-shaped, folds whitespace, and bounds the length to 200 chars. */
export const createSanitizer =
  (secrets: readonly string[]) =>
  (text: string): string => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join('[redacted]');
    out = out.replace(/\b(sk|key|api[_-]?key)[-_][A-Za-z0-9*._-]{6,}/gi, '[redacted]').replace(/\s+/g, ' ');
    return out.length > 200 ? `${out.slice(0, 200)}…` : out;
  };

const serverDetail = (err: APIError, ctx: ClassifyContext): string => {
  const body = err.error;
  const message = typeof body === 'object' && body !== null && 'message' in body ? body.message : undefined;
  return typeof message === 'string' && message ? `: ${ctx.sanitize(message)}` : '';
};

/** An HTTP error status as an LlmError: which statuses are worth another try, and the server's hint. */
export const errorFromStatus = (err: APIError, status: number, ctx: ClassifyContext): LlmError => {
  const code = typeof err.code === 'string' ? err.code : undefined;
  const label = [`HTTP ${status}`, code, err.type && err.type !== code ? `[${err.type}]` : undefined]
    .filter(Boolean)
    .join(' ');
  const requestId = err.requestID ?? undefined;
  const retryAfterMs = retryAfterMsFrom(err.headers);
  const base = { status, requestId, retryAfterMs };
  if (status === 429) {
    // OpenAI's 429 for an account out of credit: no wait makes it succeed.
    if (code === 'insufficient_quota' || err.type === 'insufficient_quota') {
      return new LlmError('llm_quota_exceeded', `LLM quota exhausted (${label}); check the billing`, base);
    }
    return new LlmError('llm_rate_limited', `LLM rate limit hit (${label})`, { ...base, retryable: true });
  }
  if (status === 401 || status === 403) {
    // No server detail here: OpenAI's 401 quotes part of the key it was given.
    const hint = ctx.keyConfigured
      ? 'check OPENAI_API_KEY'
      : 'OPENAI_API_KEY is not set; set it unless the server needs no key';
    return new LlmError('llm_auth', `LLM server rejected the credentials (${label}); ${hint}`, base);
  }
  if (status === 408) {
    return new LlmError('llm_timeout', `LLM server timed out the request (${label})`, {
      ...base,
      retryable: true,
    });
  }
  if (status === 409 || status >= 500) {
    return new LlmError('llm_server_error', `LLM server error (${label})${serverDetail(err, ctx)}`, {
      ...base,
      retryable: true,
    });
  }
  return new LlmError('llm_bad_request', `LLM request refused (${label})${serverDetail(err, ctx)}`, base);
};

/**
 * Anything one attempt threw, as an LlmError. `phase` is how far the attempt got: a failure once
 * the stream had opened is a cut stream (keeping `partialText`), whatever the SDK called it.
 */
export const classifyAttemptError = (
  err: unknown,
  phase: 'connect' | 'stream',
  partialText: string,
  ctx: ClassifyContext,
): LlmError => {
  if (err instanceof LlmError) return err;
  if (phase === 'stream') {
    const why =
      err instanceof APIError ? `server sent an error${serverDetail(err, ctx)}` : errorSummary(err, ctx);
    return new LlmError('llm_stream_cut', `LLM stream cut after ${partialText.length} chars (${why})`, {
      cause: err instanceof APIError ? undefined : err,
      retryable: true,
      partialText,
    });
  }
  if (err instanceof APIConnectionTimeoutError) {
    return new LlmError('llm_timeout', 'LLM server did not answer in time', { retryable: true });
  }
  if (err instanceof APIConnectionError) {
    return new LlmError('llm_unreachable', `LLM server unreachable (${errorSummary(err.cause, ctx)})`, {
      cause: err.cause,
      retryable: true,
    });
  }
  if (err instanceof APIError && typeof err.status === 'number') return errorFromStatus(err, err.status, ctx);
  return new LlmError('llm_server_error', `LLM call failed unexpectedly (${errorSummary(err, ctx)})`, {
    cause: err instanceof APIError ? undefined : err,
  });
};

/**
 * `TypeError: fetch failed ← connect ECONNREFUSED 127.0.0.1:8000`: the error and its causes
 * (undici hides the socket error two levels down), never a request body.
 */
const errorSummary = (err: unknown, ctx: ClassifyContext): string => {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++, e = e.cause) {
    const code = 'code' in e && typeof e.code === 'string' && !e.message.includes(e.code) ? e.code : '';
    const text = [e.message, code && `[${code}]`].filter(Boolean).join(' ');
    parts.push(depth === 0 ? `${e.name}: ${text}` : text);
  }
  return parts.length > 0 ? ctx.sanitize(parts.join(' ← ')) : 'unknown error';
};
