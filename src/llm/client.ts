import { APIError, type OpenAI } from 'openai';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { sleep } from '../core/time.js';
import { SpanKind, withSpan } from '../core/tracing.js';
import { withCallMetrics } from './call-metrics.js';
import { classifyAttemptError, createSanitizer, LlmError } from './errors.js';
import { type CallDeadlines, type Expiry, expiryError, watchDeadlines } from './progress-deadlines.js';
import { decideRetry, retriesFor } from './retry-policy.js';
import { createOpenAI, sdkTimeoutMs } from './sdk.js';
import { type AttemptProgress, CallerError, type OpenStream, runAttempt } from './stream.js';
import type { LlmClient, LlmConfig, LlmRequest, LlmResult } from './types.js';

export { LlmError, partialTextOf } from './errors.js';
export type { LlmClient, LlmConfig, LlmRequest, LlmResult, LlmUsage } from './types.js';

/**
 * The LLM client: Chat Completions with `stream: true` (stream.ts, one attempt), under the call's
 * deadlines (progress-deadlines.ts), tried again in-process as retry-policy.ts decides, every
 * failure classified once into an LlmError (errors.ts). The SDK retries nothing itself (sdk.ts).
 */

export interface LlmClientDeps {
  config: LlmConfig;
  logger: Logger;
  /** Built from `config` when absent. */
  openai?: OpenAI;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Counts each call by outcome (backchannel_llm_calls_total). */
  metrics?: Pick<Metrics, 'llmCalls'>;
  /** Told each response's status and headers (errors included): the LLM governor learns from them. */
  onResponse?: (status: number, headers: Headers) => void;
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
  const onResponse = deps.onResponse;
  const open: OpenStream = onResponse
    ? async (body, options) => {
        try {
          const { data, response } = await openai.chat.completions.create(body, options).withResponse();
          onResponse(response.status, response.headers);
          return data;
        } catch (err) {
          if (err instanceof APIError && err.status !== undefined && err.headers)
            onResponse(err.status, err.headers);
          throw err;
        }
      }
    : (body, options) => openai.chat.completions.create(body, options);
  const wait = deps.sleep ?? sleep;
  const random = deps.random ?? Math.random;
  const errorContext = {
    sanitize: createSanitizer(config.apiKey ? [config.apiKey] : []),
    keyConfigured: Boolean(config.apiKey),
  };

  /** Maps anything an attempt threw to one LlmError, once: a cancel or a deadline says why first. */
  const classify = (err: unknown, attempt: AttemptProgress, state: CallState): LlmError => {
    const partialText = attempt.text;
    if (state.cancelled) return new LlmError('cancelled', 'LLM call cancelled', { partialText });
    if (state.expired) {
      const { code, message } = expiryError(state.expired, config, partialText.length);
      return new LlmError(code, message, { retryable: true, partialText });
    }
    return classifyAttemptError(err, attempt.phase, partialText, errorContext);
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
    const spec = {
      open,
      model: req.model ?? config.model,
      maxTokens: req.maxTokens ?? config.maxAnswerTokens,
      sdkTimeoutMs: sdkTimeoutMs(config),
      messages: req.messages,
      signal: controller.signal,
      onProgress: () => state.deadlines.progress(),
      onText: (delta: string) => {
        state.firstTokenAt ??= performance.now();
        req.onDelta?.(delta);
      },
    };

    const retries = retriesFor(req.retries, config.maxRetries);
    try {
      for (let n = 0; ; n++) {
        const attempt: AttemptProgress = { phase: 'connect', text: '' };
        try {
          const result = await runAttempt(spec, attempt);
          const out: LlmResult = {
            ...result,
            ms: Math.round(performance.now() - state.startedAt),
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
          const remainingMs = state.deadlines.remainingMs();
          const decision = decideRetry(
            err,
            {
              attempt: n,
              retries,
              textSeen: attempt.text.length > 0,
              aborted: controller.signal.aborted,
              remainingMs,
            },
            random,
          );
          if (!decision.retry) {
            const waitTooLong = decision.why === 'wait_too_long';
            log.debug(
              waitTooLong ? { ...fields, remainingMs: Math.round(remainingMs) } : fields,
              waitTooLong ? 'llm call failed; wait too long to retry' : 'llm call failed',
            );
            throw err;
          }
          log.warn({ ...fields, waitMs: decision.waitMs }, 'llm call failed; retrying');
          try {
            await wait(decision.waitMs, controller.signal);
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

  // One span per call, its retries included (attributes after OpenTelemetry's GenAI conventions).
  const client: LlmClient = {
    stream: (req) => {
      const model = req.model ?? config.model;
      const attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model };
      return withSpan(`chat ${model}`, attributes, () => stream(req), SpanKind.CLIENT);
    },
  };
  return deps.metrics ? withCallMetrics(client, deps.metrics) : client;
};
