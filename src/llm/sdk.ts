import OpenAI from 'openai';
import type { Logger } from '../core/logger.js';
import type { LlmConfig } from './types.js';

/**
 * The openai SDK client: Chat Completions over it reach OpenAI, Azure's OpenAI-compatible v1
 * endpoint, Ollama and vLLM alike through OPENAI_BASE_URL.
 *
 * The LLM client owns retries, so the SDK gets `maxRetries: 0`: openai@7 (`shouldRetry`/`retryRequest`
 * in its src/client.ts) still retries every 429, `insufficient_quota` included (never succeeds on
 * retry) unless the server sends `x-should-retry: false`, and replaces a `retry-after` over 60 s with
 * its 0.5–8 s backoff, calling again long before the server asked. (Its backoff sleep now ends on
 * abort.) Errors are classified once, in errors.ts; retry-policy.ts decides on another try.
 */

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Local servers (Ollama, vLLM) need no key, but the SDK refuses to start without one. */
const PLACEHOLDER_API_KEY = 'not-set';
/** The SDK's own timeout is only a backstop; the call's deadlines (progress-deadlines.ts) fire first. */
const SDK_TIMEOUT_SLACK_MS = 10_000;

export const sdkTimeoutMs = (config: Pick<LlmConfig, 'timeoutMs'>): number =>
  config.timeoutMs + SDK_TIMEOUT_SLACK_MS;

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
    timeout: sdkTimeoutMs(config),
    logLevel: 'warn',
    logger: { error: logFn('error'), warn: logFn('warn'), info: logFn('info'), debug: logFn('debug') },
  });
};
