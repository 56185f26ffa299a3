import { WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import type { Logger } from '../core/logger.js';
import { sleep as realSleep, type Sleep } from '../core/time.js';

/**
 * Per-(method, channel) handling of Slack 429s. The WebClient is built with
 * `rejectRateLimitedCalls: true`, because its own handling pauses its whole request queue for the
 * `Retry-After` (one channel's limit would stall every other call through the client). Here a 429
 * blocks only calls of that method to that channel until the hint passes; then they retry.
 */

export interface RateGateOptions {
  logger: Logger;
  now?: () => number;
  sleep?: Sleep;
  /** 429s retried per call before giving up (default 3). */
  maxRetries?: number;
  /** A `Retry-After` longer than this is not waited out here: the caller gets the error (default 60 s). */
  maxWaitMs?: number;
}

export interface RunOptions {
  /** False for calls with a better plan than waiting (startStream falls back to a posted message). */
  retryOnRateLimit?: boolean;
}

export interface RateGate {
  run<T>(method: string, channel: string, call: () => Promise<T>, opts?: RunOptions): Promise<T>;
  /** When calls of `method` to `channel` may go out again (epoch ms), if currently blocked. */
  blockedUntil(method: string, channel: string): number | undefined;
}

/** Seconds to wait when Slack said "rate limited", or undefined when the error is something else. */
export const retryAfterSeconds = (err: unknown): number | undefined => {
  if (err instanceof WebAPIRateLimitedError) return err.retryAfter >= 0 ? err.retryAfter : 1;
  // Some methods answer HTTP 200 with `ratelimited` in the body instead of a 429.
  if (
    err instanceof WebAPIPlatformError &&
    (err.data.error === 'ratelimited' || err.data.error === 'rate_limited')
  ) {
    const hint = err.data.response_metadata?.retryAfter;
    return typeof hint === 'number' && hint >= 0 ? hint : 1;
  }
  return undefined;
};

export const createRateGate = (opts: RateGateOptions): RateGate => {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const maxRetries = opts.maxRetries ?? 3;
  const maxWaitMs = opts.maxWaitMs ?? 60_000;
  const log = opts.logger.child({ component: 'slack-rate-gate' });
  const until = new Map<string, number>();

  const keyOf = (method: string, channel: string) => `${method} ${channel}`;

  const blockedUntil = (method: string, channel: string): number | undefined => {
    const key = keyOf(method, channel);
    const t = until.get(key);
    if (t === undefined) return undefined;
    if (t <= now()) {
      until.delete(key);
      return undefined;
    }
    return t;
  };

  const run = async <T>(
    method: string,
    channel: string,
    call: () => Promise<T>,
    runOpts: RunOptions = {},
  ): Promise<T> => {
    const retry = runOpts.retryOnRateLimit ?? true;
    for (let attempt = 0; ; attempt++) {
      const blocked = blockedUntil(method, channel);
      if (blocked !== undefined) {
        const wait = blocked - now();
        if (!retry || wait > maxWaitMs) throw rateLimitedError(method, Math.ceil(wait / 1000));
        await sleep(wait);
      }
      try {
        return await call();
      } catch (err) {
        const seconds = retryAfterSeconds(err);
        if (seconds === undefined) throw err;
        const resumeAt = now() + seconds * 1000;
        const key = keyOf(method, channel);
        until.set(key, Math.max(until.get(key) ?? 0, resumeAt));
        log.warn({ method, channel, retryAfterSeconds: seconds, attempt }, 'slack rate limited this channel');
        if (!retry || attempt >= maxRetries || seconds * 1000 > maxWaitMs) throw err;
      }
    }
  };

  return { run, blockedUntil };
};

/** The WebClient's own rate-limit error, for a call refused before it went out. */
const rateLimitedError = (method: string, retryAfter: number): WebAPIRateLimitedError => {
  const err = new WebAPIRateLimitedError(retryAfter);
  err.message = `A rate limit is in effect for ${method} (retry after ${retryAfter} s)`;
  return err;
};
