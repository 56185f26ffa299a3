import { type ErrorCode, isAppError } from './errors.js';
import { isRedisConnectionError } from './redis.js';

/**
 * What becomes of a failed request, decided in one place:
 * - `retry`: thrown on, so the job that runs it tries again (BullMQ's attempts).
 * - `tell_privately`: only the asker is told (ephemeral, or the command's `response_url`).
 * - `tell_in_thread`: said in the thread, where the answer would have been.
 * - `ignore`: not a failure to report (logged, nothing said).
 */
export type Disposition = 'retry' | 'tell_privately' | 'tell_in_thread' | 'ignore';

/** Each error code's disposition, when no further attempt can heal it. */
export const DISPOSITIONS: Readonly<Record<ErrorCode, Disposition>> = Object.freeze({
  // Storage trouble: the request is not lost; the job that holds it runs it again.
  redis_unavailable: 'retry',
  // Limits and requests that cannot be acted on as sent concern the asker alone.
  user_rate_limited: 'tell_privately',
  user_queue_full: 'tell_privately',
  thread_busy: 'tell_privately',
  invalid_payload: 'tell_privately',
  // The bot cannot post in that conversation, so the thread is no place to say so.
  slack_not_in_channel: 'tell_privately',
  // Failures of an answer: said where the answer would have been.
  llm_rate_limited: 'tell_in_thread',
  llm_quota_exceeded: 'tell_in_thread',
  llm_timeout: 'tell_in_thread',
  llm_first_token_timeout: 'tell_in_thread',
  llm_idle_timeout: 'tell_in_thread',
  llm_server_error: 'tell_in_thread',
  llm_bad_request: 'tell_in_thread',
  llm_auth: 'tell_in_thread',
  llm_stream_cut: 'tell_in_thread',
  llm_unreachable: 'tell_in_thread',
  slack_api: 'tell_in_thread',
  // The private way back (5 uses within 30 minutes) is spent: the thread is what is left.
  slack_response_url_expired: 'tell_in_thread',
  // Thrown at start-up, or when the system prompt leaves the thread no room: our fault, said like any.
  config_invalid: 'tell_in_thread',
  // The user asked for it; the cancellation is announced as such, never as a failure.
  cancelled: 'ignore',
});

export interface DispositionOptions {
  /**
   * The next attempt of the caller's job repeats the failed call itself (a background answer: BullMQ
   * owns its retries, the LLM is called with none). Then a transient failure, one marked `retryable`
   * or a dropped Redis connection, is retried too. Without it the layer that made the call already
   * retried it (the LLM client, the Slack budget), so only storage trouble goes back to the job.
   */
  ownsRetries?: boolean;
}

/** A failure a later attempt can get past: marked retryable, or the Redis connection dropped. */
export const isTransient = (err: unknown): boolean =>
  (isAppError(err) && err.retryable) || isRedisConnectionError(err);

/**
 * The one decision on what to do with a request's failure. An error without a code is unexpected:
 * said in the thread, like any failure of an answer.
 */
export const dispositionOf = (err: unknown, opts: DispositionOptions = {}): Disposition => {
  const coded = isAppError(err) ? DISPOSITIONS[err.code] : 'tell_in_thread';
  if (coded === 'ignore') return coded;
  if (opts.ownsRetries && isTransient(err)) return 'retry';
  return coded;
};
