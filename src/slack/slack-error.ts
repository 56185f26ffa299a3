import { ErrorCode as WebApiErrorCode } from '@slack/web-api';
import { AppError, isAppError } from '../errors.js';
import { retryAfterSeconds } from './rate-gate.js';

/** Slack errors worth another try later; every other `ok: false` answer is final. */
const RETRYABLE_SLACK_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'rate_limited',
]);

/**
 * Slack errors that mean the conversation is closed to the bot for good: the channel was archived
 * or deleted, the bot was removed, or an admin restricted posting or locked the thread (Slack's
 * chat.postMessage and conversations.replies error lists). Trying again, or posting a note there
 * about the failure, fails the same way.
 */
const CHANNEL_GONE_ERRORS = new Set([
  'channel_not_found',
  'is_archived',
  'not_in_channel',
  'thread_not_found',
  'cannot_reply_to_message',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_locked',
  'restricted_action_non_threadable_channel',
  'ekm_access_denied',
  'team_access_not_granted',
]);

interface RawSlackError {
  code?: unknown;
  message?: unknown;
  statusCode?: unknown;
  data?: { error?: unknown };
}

/** The Slack error string (`not_in_channel`, `already_reacted`, …) behind a raw or wrapped error. */
export const slackErrorCode = (err: unknown): string | undefined => {
  const raw = (isAppError(err) ? err.cause : err) as RawSlackError | undefined;
  if (!raw || typeof raw !== 'object') return undefined;
  if (raw.code === WebApiErrorCode.PlatformError && typeof raw.data?.error === 'string')
    return raw.data.error;
  if (raw.code === WebApiErrorCode.RateLimitedError) return 'ratelimited';
  return undefined;
};

/** Whether the error says the bot can no longer post in (or read) the conversation at all. */
export const isChannelGone = (err: unknown): boolean => {
  const code = slackErrorCode(err);
  return code !== undefined && CHANNEL_GONE_ERRORS.has(code);
};

/**
 * Turns a WebClient error into an AppError: `slack_not_in_channel` for `not_in_channel`, else
 * `slack_api`, with the method and Slack's error code in the message. The WebClient's request
 * errors can carry the request config (and its Authorization header), so only their message is
 * kept as the cause.
 */
export const toSlackAppError = (err: unknown, method: string): AppError => {
  if (isAppError(err)) return err;
  const e = (err ?? {}) as RawSlackError;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const retryAfter = retryAfterSeconds(err);
  if (retryAfter !== undefined) {
    return new AppError('slack_api', `Slack ${method} rate limited (retry after ${retryAfter} s)`, {
      cause: err,
      retryable: true,
      retryAfterMs: retryAfter * 1000,
    });
  }
  switch (e.code) {
    case WebApiErrorCode.PlatformError: {
      const code = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
      return new AppError(
        code === 'not_in_channel' ? 'slack_not_in_channel' : 'slack_api',
        `Slack ${method} failed: ${code}`,
        { cause: err, retryable: RETRYABLE_SLACK_ERRORS.has(code) },
      );
    }
    case WebApiErrorCode.HTTPError: {
      const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
      return new AppError('slack_api', `Slack ${method} failed: HTTP ${status}`, {
        cause: new Error(message),
        retryable: status >= 500 || status === 408,
      });
    }
    case WebApiErrorCode.RequestError:
      return new AppError('slack_api', `Slack ${method} request failed: ${message}`, {
        cause: new Error(message),
        retryable: true,
      });
    default:
      return new AppError('slack_api', `Slack ${method} failed: ${message}`, {
        cause: new Error(message),
        retryable: false,
      });
  }
};
