import type { AppError } from '../core/errors.js';

/**
 * When an LLM call is tried again within the process, and after how long. The server's hint
 * (`retry-after-ms`, `retry-after`) wins over the backoff; a hint too long to wait out here fails
 * the call at once with the retryable error and its `retryAfterMs`, so a queue can reschedule it.
 */

/** Longest server-requested wait honoured in-process; longer waits fail so a queue can reschedule. */
export const MAX_HONOURED_RETRY_AFTER_MS = 30_000;
/** Same curve as the SDK's own: 0.5 s doubling to 8 s, up to 25 % jitter below. */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 8_000;

/** The wait before retry number `attempt + 1` (0-based `attempt`) when the server gave no hint. */
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

/** How long to wait before the next attempt, or undefined when the server asks for too long. */
export const retryDelayMs = (
  err: Pick<AppError, 'retryAfterMs'>,
  attempt: number,
  random: () => number = Math.random,
): number | undefined => {
  if (err.retryAfterMs === undefined) return backoffMs(attempt, random);
  return err.retryAfterMs > MAX_HONOURED_RETRY_AFTER_MS ? undefined : err.retryAfterMs;
};

/** In-process retries for a call: the request's count, else LLM_MAX_RETRIES; a whole number ≥ 0. */
export const retriesFor = (requested: number | undefined, configured: number): number => {
  const wanted = requested ?? configured;
  return Number.isFinite(wanted) ? Math.max(0, Math.floor(wanted)) : 0;
};

export interface FailedAttempt {
  /** 0-based number of the attempt that failed. */
  attempt: number;
  /** In-process retries allowed for the call (`retriesFor`). */
  retries: number;
  /** Answer text the attempt had streamed (and the user may have seen). */
  textSeen: boolean;
  /** The call was cancelled or passed a deadline. */
  aborted: boolean;
  /** Milliseconds before the call's nearest deadline. */
  remainingMs: number;
}

/** `final`: not worth another try here; `wait_too_long`: the wait would outlast the cap or the deadline. */
export type RetryDecision =
  | { retry: true; waitMs: number }
  | { retry: false; why: 'final' | 'wait_too_long' };

/** Whether a failed attempt is tried again in-process, and after how long. */
export const decideRetry = (
  err: Pick<AppError, 'retryable' | 'retryAfterMs'>,
  failed: FailedAttempt,
  random: () => number = Math.random,
): RetryDecision => {
  // Once text has arrived the user has seen it: a retry would repeat or contradict it.
  if (!err.retryable || failed.attempt >= failed.retries || failed.textSeen || failed.aborted) {
    return { retry: false, why: 'final' };
  }
  const waitMs = retryDelayMs(err, failed.attempt, random);
  // A server asking for a long wait, or a wait past the deadline: fail now with the retryable
  // error (and its retryAfterMs) so a queue can reschedule instead.
  if (waitMs === undefined || waitMs >= failed.remainingMs) return { retry: false, why: 'wait_too_long' };
  return { retry: true, waitMs };
};
