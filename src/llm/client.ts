import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Config } from '../core/config.js';
import type { ChatMessage } from '../core/domain.js';
import { AppError, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type CallDeadlines, type Expiry, expiryError, watchDeadlines } from './progress-deadlines.js';

/**
 * The LLM client: Chat Completions with `stream: true` over the openai SDK, so OpenAI, Azure's
 * OpenAI-compatible v1 endpoint, Ollama and vLLM all work through OPENAI_BASE_URL.
 *
 * This layer owns retries, so the SDK gets `maxRetries: 0`: openai@7 (`shouldRetry`/`retryRequest`
 * in its src/client.ts) still retries every 429, `insufficient_quota` included (never succeeds on
 * retry) unless the server sends `x-should-retry: false`, and replaces a `retry-after` over 60 s with
 * its 0.5–8 s backoff, calling again long before the server asked. (Its backoff sleep now ends on
 * abort.) Errors are classified here, once, into AppError codes; a long hint goes to the queue.
 */

export type LlmConfig = Omit<Config['openai'], 'systemPrompt' | 'contextTokenBudget'>;

export interface LlmRequest {
  messages: ChatMessage[];
  /** Defaults to MAX_ANSWER_TOKENS. */
  maxTokens?: number;
  /** Cancels the call (→ AppError `cancelled`). */
  signal?: AbortSignal;
  /** Called with each new piece of text, in order. */
  onDelta?: (delta: string) => void;
  /**
   * In-process retries; defaults to LLM_MAX_RETRIES. The queue worker passes 0 so that BullMQ owns
   * the retries: the classified error says whether to retry (`retryable`) and when (`retryAfterMs`).
   */
  retries?: number;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface LlmResult {
  text: string;
  /** `stop`, `length` (hit max_tokens), `content_filter`, … as the server reported it. */
  finishReason: string;
  /** Absent when the server ignores `stream_options.include_usage` (older vLLM, some proxies). */
  usage?: LlmUsage;
  model: string;
  /** From the call to the end of the stream, retries included. */
  ms: number;
  /** From the call to the first piece of text; undefined when the answer was empty. */
  firstTokenMs: number | undefined;
  attempts: number;
}

export interface LlmClient {
  stream(req: LlmRequest): Promise<LlmResult>;
}

/**
 * Every error `stream()` raises, except one thrown by the caller's own `onDelta`, which passes
 * through unchanged. `partialText` is what the user may already
 * have seen: non-empty when a stream broke off after text arrived (`llm_stream_cut`, or
 * `llm_timeout` / `cancelled` midway), so the caller can keep it, marked as cut off.
 */
export class LlmError extends AppError {
  // Not enumerable, so logging the error (pino, JSON) leaves the answer text out (STYLE rule 8).
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

/** Longest server-requested wait honoured in-process; longer waits fail so a queue can reschedule. */
export const MAX_HONOURED_RETRY_AFTER_MS = 30_000;
/** Same curve as the SDK's own: 0.5 s doubling to 8 s, up to 25 % jitter below. */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 8_000;

export const backoffMs = (attempt: number, random: () => number = Math.random): number =>
  Math.round(Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt) * (1 - 0.25 * random()));

/** `retry-after-ms` (Azure sends it) wins over `retry-after` (seconds or an HTTP date). */
export const retryAfterMsFrom = (headers: Headers | undefined, now = Date.now()): number | undefined => {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const raw = headers?.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface LlmClientDeps {
  config: LlmConfig;
  logger: Logger;
  /** Built from `config` when absent. */
  openai?: OpenAI;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Local servers (Ollama, vLLM) need no key, but the SDK refuses to start without one. */
const PLACEHOLDER_API_KEY = 'not-set';
/** The SDK's own timeout is only a backstop; the per-call deadline below fires first. */
const SDK_TIMEOUT_SLACK_MS = 10_000;

/**
 * The SDK client, from config alone: the options the SDK would otherwise read from process.env
 * (key, base URL, organization, project, log level) are set here, as config.ts is the one reader
 * of the environment.
 */
export const createOpenAI = (config: LlmConfig, logger: Logger): OpenAI => {
  const log = logger.child({ component: 'openai-sdk' });
  // Only the SDK's message: its extra arguments can hold raw stream data (answer text).
  const logFn =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string): void =>
      log[level](message);
  return new OpenAI({
    apiKey: config.apiKey ?? PLACEHOLDER_API_KEY,
    baseURL: config.baseUrl ?? DEFAULT_BASE_URL,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 0,
    timeout: config.timeoutMs + SDK_TIMEOUT_SLACK_MS,
    logLevel: 'warn',
    logger: { error: logFn('error'), warn: logFn('warn'), info: logFn('info'), debug: logFn('debug') },
  });
};

/** Raised inside an attempt when the caller's onDelta throws: rethrown as-is, never retried. */
class CallerError extends Error {
  constructor(readonly original: unknown) {
    super('onDelta threw');
  }
}

type Phase = 'connect' | 'stream';

interface Attempt {
  phase: Phase;
  text: string;
}

interface CallState {
  expired: Expiry | undefined;
  deadlines: CallDeadlines;
  cancelled: boolean;
  startedAt: number;
  firstTokenAt: number | undefined;
}

export const createLlmClient = (deps: LlmClientDeps): LlmClient => {
  const { config } = deps;
  const log = deps.logger.child({ component: 'llm' });
  const openai = deps.openai ?? createOpenAI(config, deps.logger);
  const wait = deps.sleep ?? sleep;
  const random = deps.random ?? Math.random;
  const secrets = config.apiKey ? [config.apiKey] : [];

  /** Server-provided text for an error message: secrets masked, bounded, on one line. */
  const sanitize = (text: string): string => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join('[redacted]');
    out = out.replace(/\b(sk|key|api[_-]?key)[-_][A-Za-z0-9*._-]{6,}/gi, '[redacted]').replace(/\s+/g, ' ');
    return out.length > 200 ? `${out.slice(0, 200)}…` : out;
  };

  const serverDetail = (err: APIError): string => {
    const body = err.error as { message?: unknown } | undefined;
    return typeof body?.message === 'string' && body.message ? `: ${sanitize(body.message)}` : '';
  };

  const fromStatus = (err: APIError, status: number): LlmError => {
    const code = typeof err.code === 'string' ? err.code : undefined;
    const label = [`HTTP ${status}`, code, err.type && err.type !== code ? `[${err.type}]` : undefined]
      .filter(Boolean)
      .join(' ');
    const requestId = err.requestID ?? undefined;
    const retryAfterMs = retryAfterMsFrom(err.headers);
    const base = { status, requestId, retryAfterMs };
    if (status === 429) {
      if (code === 'insufficient_quota' || err.type === 'insufficient_quota') {
        return new LlmError('llm_quota_exceeded', `LLM quota exhausted (${label}); check the billing`, base);
      }
      return new LlmError('llm_rate_limited', `LLM rate limit hit (${label})`, { ...base, retryable: true });
    }
    if (status === 401 || status === 403) {
      // No server detail here: OpenAI's 401 quotes part of the key it was given.
      const hint = config.apiKey
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
      return new LlmError('llm_server_error', `LLM server error (${label})${serverDetail(err)}`, {
        ...base,
        retryable: true,
      });
    }
    return new LlmError('llm_bad_request', `LLM request refused (${label})${serverDetail(err)}`, base);
  };

  /** Maps anything an attempt threw to one LlmError, once. */
  const classify = (err: unknown, attempt: Attempt, state: CallState): LlmError => {
    const partialText = attempt.text;
    if (state.cancelled) return new LlmError('cancelled', 'LLM call cancelled', { partialText });
    if (state.expired) {
      const { code, message } = expiryError(state.expired, config, partialText.length);
      return new LlmError(code, message, { retryable: true, partialText });
    }
    if (err instanceof LlmError) return err;
    if (attempt.phase === 'stream') {
      const why =
        err instanceof APIError ? `server sent an error${serverDetail(err)}` : errorSummary(err, sanitize);
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
      return new LlmError(
        'llm_unreachable',
        `LLM server unreachable (${errorSummary(err.cause, sanitize)})`,
        {
          cause: err.cause,
          retryable: true,
        },
      );
    }
    if (err instanceof APIError && typeof err.status === 'number') return fromStatus(err, err.status);
    return new LlmError('llm_server_error', `LLM call failed unexpectedly (${errorSummary(err, sanitize)})`, {
      cause: err instanceof APIError ? undefined : err,
    });
  };

  const runAttempt = async (
    req: LlmRequest,
    attempt: Attempt,
    state: CallState,
    signal: AbortSignal,
    untilAborted: <T>(p: Promise<T>) => Promise<T>,
  ): Promise<Omit<LlmResult, 'ms' | 'firstTokenMs' | 'attempts'>> => {
    const pending = openai.chat.completions.create(
      {
        model: config.model,
        messages: req.messages,
        // `max_tokens` rather than `max_completion_tokens`: Ollama, vLLM and older Azure
        // deployments only know this name.
        max_tokens: req.maxTokens ?? config.maxAnswerTokens,
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal, maxRetries: 0, timeout: config.timeoutMs + SDK_TIMEOUT_SLACK_MS },
    );
    // If the deadline wins the race below, a stream that opens later must not be left reading.
    pending.then(
      (s) => signal.aborted && s.controller.abort(),
      () => {},
    );
    const stream = await untilAborted(pending);
    attempt.phase = 'stream';

    let model = '';
    let finishReason: string | undefined;
    let usage: LlmUsage | undefined;
    let complete = false;
    const chunks = stream[Symbol.asyncIterator]();
    try {
      while (true) {
        // The race, not only the SDK signal, ends a hung stream: a fetch wrapper that does not
        // pass the abort on to the body (nock's interceptor is one) would otherwise hold the call.
        const next: IteratorResult<ChatCompletionChunk> = await untilAborted(chunks.next());
        if (next.done) break;
        const chunk = next.value;
        if (!model && chunk.model) model = chunk.model;
        if (chunk.usage) {
          usage = {
            promptTokens: chunk.usage.prompt_tokens,
            completionTokens: chunk.usage.completion_tokens,
          };
        }
        // Azure sends a first chunk with no choices (prompt filter results).
        const choice = chunk.choices[0];
        if (!choice) continue;
        const delta = choice.delta?.content;
        // Reasoning models (vLLM, Ollama, DeepSeek) stream their thinking under another name first.
        const thinking = choice.delta as { reasoning_content?: unknown; reasoning?: unknown } | undefined;
        if (delta || thinking?.reasoning_content || thinking?.reasoning) state.deadlines.progress();
        if (delta) {
          attempt.text += delta;
          state.firstTokenAt ??= performance.now();
          try {
            req.onDelta?.(delta);
          } catch (err) {
            throw new CallerError(err);
          }
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      // The SDK ends its iterator quietly when aborted; that is not a finished answer.
      if (signal.aborted) throw signal.reason;
      complete = true;
    } finally {
      if (!complete) stream.controller.abort();
    }
    if (finishReason === undefined) {
      throw new LlmError(
        'llm_stream_cut',
        `LLM stream ended without a finish reason after ${attempt.text.length} chars`,
        { retryable: true, partialText: attempt.text },
      );
    }
    return { text: attempt.text, finishReason, model: model || config.model, ...(usage ? { usage } : {}) };
  };

  const stream = async (req: LlmRequest): Promise<LlmResult> => {
    if (req.signal?.aborted) throw new LlmError('cancelled', 'LLM call cancelled before it started');
    const controller = new AbortController();
    // Whichever deadline passes first ends the call, retries and all (progress-deadlines.ts).
    const onExpire = (expiry: Expiry) => {
      if (controller.signal.aborted) return;
      state.expired = expiry;
      controller.abort(new Error(`deadline (${expiry})`));
    };
    const state: CallState = {
      expired: undefined,
      deadlines: watchDeadlines({ ...config, onExpire }),
      cancelled: false,
      startedAt: performance.now(),
      firstTokenAt: undefined,
    };
    const onCancel = () => {
      state.cancelled = true;
      controller.abort(new Error('cancelled'));
    };
    req.signal?.addEventListener('abort', onCancel, { once: true });
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    aborted.catch(() => {});
    const untilAborted = <T>(p: Promise<T>): Promise<T> => Promise.race([p, aborted]);

    const wanted = req.retries ?? config.maxRetries;
    const retries = Number.isFinite(wanted) ? Math.max(0, Math.floor(wanted)) : 0;
    try {
      for (let n = 0; ; n++) {
        const attempt: Attempt = { phase: 'connect', text: '' };
        try {
          const result = await runAttempt(req, attempt, state, controller.signal, untilAborted);
          const done = performance.now();
          const out: LlmResult = {
            ...result,
            ms: Math.round(done - state.startedAt),
            firstTokenMs:
              state.firstTokenAt === undefined ? undefined : Math.round(state.firstTokenAt - state.startedAt),
            attempts: n + 1,
          };
          log.debug(
            {
              model: out.model,
              ms: out.ms,
              firstTokenMs: out.firstTokenMs,
              finishReason: out.finishReason,
              promptTokens: out.usage?.promptTokens,
              completionTokens: out.usage?.completionTokens,
              attempts: out.attempts,
            },
            'llm stream finished',
          );
          return out;
        } catch (raw) {
          if (raw instanceof CallerError) throw raw.original;
          const err = classify(raw, attempt, state);
          const fields = {
            attempt: n + 1,
            code: err.code,
            status: err.status,
            retryAfterMs: err.retryAfterMs,
          };
          // Once text has arrived the user has seen it: a retry would repeat or contradict it.
          if (!err.retryable || n >= retries || attempt.text.length > 0 || controller.signal.aborted) {
            log.debug(fields, 'llm call failed');
            throw err;
          }
          const delay = retryDelay(err, n);
          const remaining = state.deadlines.remainingMs();
          // A server asking for a long wait, or a wait past the deadline: fail now with the
          // retryable error (and its retryAfterMs) so a queue can reschedule instead.
          if (delay === undefined || delay >= remaining) {
            log.debug(
              { ...fields, remainingMs: Math.round(remaining) },
              'llm call failed; wait too long to retry',
            );
            throw err;
          }
          log.warn({ ...fields, waitMs: delay }, 'llm call failed; retrying');
          try {
            await wait(delay, controller.signal);
          } catch (sleepErr) {
            throw classify(sleepErr, { phase: 'connect', text: '' }, state);
          }
          if (controller.signal.aborted) throw classify(controller.signal.reason, attempt, state);
        }
      }
    } finally {
      state.deadlines.stop();
      req.signal?.removeEventListener('abort', onCancel);
    }
  };

  /** How long to wait before the next attempt, or undefined when the server asks for too long. */
  const retryDelay = (err: LlmError, n: number): number | undefined => {
    if (err.retryAfterMs === undefined) return backoffMs(n, random);
    return err.retryAfterMs > MAX_HONOURED_RETRY_AFTER_MS ? undefined : err.retryAfterMs;
  };

  return { stream };
};

/**
 * `TypeError: fetch failed ← connect ECONNREFUSED 127.0.0.1:8000`: the error and its causes
 * (undici hides the socket error two levels down), never a request body.
 */
const errorSummary = (err: unknown, sanitize: (s: string) => string): string => {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++, e = e.cause) {
    const code = 'code' in e && typeof e.code === 'string' && !e.message.includes(e.code) ? e.code : '';
    const text = [e.message, code && `[${code}]`].filter(Boolean).join(' ');
    parts.push(depth === 0 ? `${e.name}: ${text}` : text);
  }
  return parts.length > 0 ? sanitize(parts.join(' ← ')) : 'unknown error';
};
