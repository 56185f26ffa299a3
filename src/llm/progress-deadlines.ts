import type { ErrorCode } from '../core/errors.js';

/**
 * The deadlines of one LLM call. LLM_TIMEOUT_MS bounds the whole call; two more keep a hung server
 * from leaving a thread silent for that long: one for the first piece of the answer (counted from
 * the start of the call, retries included, so a retry cannot push the visible error later), and
 * one for the pause between pieces once text flows (a stream that stalls midway). A long answer
 * that keeps streaming meets both, however long it takes. An expired deadline ends the call (no
 * in-process retry, as the signal is aborted) with a retryable error, so BullMQ still retries a
 * background job.
 *
 * One plain setTimeout, moved along as text arrives: a deadline of AbortSignal.any + .timeout has
 * been seen never to fire in a long-running Node 20 process, whose collector can take a timeout
 * signal that only AbortSignal.any holds before it fires (https://github.com/nodejs/node/issues/57736).
 */

export type Expiry = 'total' | 'first_token' | 'idle';

export interface DeadlineOptions {
  /** LLM_TIMEOUT_MS, LLM_FIRST_TOKEN_TIMEOUT_MS, LLM_IDLE_TIMEOUT_MS. */
  timeoutMs: number;
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  /** Called once, when a deadline passes. */
  onExpire: (expiry: Expiry) => void;
  now?: () => number;
}

export interface CallDeadlines {
  /** A piece of the answer arrived: the first-token deadline is met, the idle one starts over. */
  progress(): void;
  /** Milliseconds before the nearest deadline (Infinity once stopped or expired). */
  remainingMs(): number;
  stop(): void;
}

export const watchDeadlines = (opts: DeadlineOptions): CallDeadlines => {
  const now = opts.now ?? (() => performance.now());
  const totalAt = now() + opts.timeoutMs;
  let stall: Expiry = 'first_token';
  let stallAt = now() + opts.firstTokenTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let firesAt = Number.POSITIVE_INFINITY;
  let done = false;

  const nearest = () => Math.min(totalAt, stallAt);
  const arm = (): void => {
    firesAt = nearest();
    // setTimeout takes at most 2^31 - 1 ms; a longer wait would fire at once.
    timer = setTimeout(check, Math.min(2 ** 31 - 1, Math.max(0, firesAt - now())));
  };
  // A timer per token would churn: the one timer re-arms itself when progress moved the deadline.
  const check = (): void => {
    timer = undefined;
    if (done) return;
    if (now() < nearest()) {
      arm();
      return;
    }
    done = true;
    opts.onExpire(totalAt <= stallAt ? 'total' : stall);
  };
  arm();

  return {
    progress() {
      if (done) return;
      stall = 'idle';
      stallAt = now() + opts.idleTimeoutMs;
      if (nearest() < firesAt) {
        clearTimeout(timer);
        arm();
      }
    },
    remainingMs: () => (done ? Number.POSITIVE_INFINITY : Math.max(0, nearest() - now())),
    stop() {
      done = true;
      clearTimeout(timer);
    },
  };
};

/** The error code and log message for an expired deadline (`chars`: answer text received). */
export const expiryError = (
  expiry: Expiry,
  opts: Pick<DeadlineOptions, 'timeoutMs' | 'firstTokenTimeoutMs' | 'idleTimeoutMs'>,
  chars: number,
): { code: ErrorCode; message: string } => {
  if (expiry === 'first_token')
    return {
      code: 'llm_first_token_timeout',
      message: `LLM sent no answer text within ${opts.firstTokenTimeoutMs} ms`,
    };
  if (expiry === 'idle')
    return {
      code: 'llm_idle_timeout',
      message: `LLM stream stalled for ${opts.idleTimeoutMs} ms after ${chars} chars`,
    };
  return { code: 'llm_timeout', message: `LLM call passed its ${opts.timeoutMs} ms deadline` };
};
