import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import { AppError, errorFields, isAppError } from '../core/errors.js';
import { retryAfterSeconds } from './slack-budget.js';

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

/**
 * The Slack error string (`not_in_channel`, `already_reacted`, …) behind a raw or wrapped error.
 * `@slack/web-api` 8 throws one error class per kind (its `.code` strings are deprecated).
 */
export const slackErrorCode = (err: unknown): string | undefined => {
  const raw = isAppError(err) ? err.cause : err;
  if (raw instanceof WebAPIPlatformError) return raw.data.error;
  if (raw instanceof WebAPIRateLimitedError) return 'ratelimited';
  return undefined;
};

/** Whether the error says the bot can no longer post in (or read) the conversation at all. */
export const isChannelGone = (err: unknown): boolean => {
  const code = slackErrorCode(err);
  return code !== undefined && CHANNEL_GONE_ERRORS.has(code);
};

/**
 * Turns a WebClient error into an AppError: `slack_not_in_channel` for `not_in_channel`, else
 * `slack_api`, with the method and Slack's error code in the message. Transport and HTTP errors
 * keep only their message as the cause: a request error's `cause` is the fetch error, and an HTTP
 * error carries the response headers and body, none of which belongs in a log.
 */
export const toSlackAppError = (err: unknown, method: string): AppError => {
  if (isAppError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const retryAfter = retryAfterSeconds(err);
  if (retryAfter !== undefined) {
    return new AppError('slack_api', `Slack ${method} rate limited (retry after ${retryAfter} s)`, {
      cause: err,
      retryable: true,
      retryAfterMs: retryAfter * 1000,
    });
  }
  if (err instanceof WebAPIPlatformError) {
    const code = typeof err.data.error === 'string' ? err.data.error : 'unknown_error';
    return new AppError(
      code === 'not_in_channel' ? 'slack_not_in_channel' : 'slack_api',
      `Slack ${method} failed: ${code}`,
      { cause: err, retryable: RETRYABLE_SLACK_ERRORS.has(code) },
    );
  }
  if (err instanceof WebAPIHTTPError) {
    return new AppError('slack_api', `Slack ${method} failed: HTTP ${err.statusCode}`, {
      cause: new Error(message),
      retryable: err.statusCode >= 500 || err.statusCode === 408,
    });
  }
  if (err instanceof WebAPIRequestError || isBodyTimeout(err)) {
    const what = err instanceof WebAPIRequestError ? requestFailure(err) : message;
    return new AppError('slack_api', `Slack ${method} request failed: ${what}`, {
      cause: new Error(message),
      retryable: true,
    });
  }
  return new AppError('slack_api', `Slack ${method} failed: ${message}`, {
    cause: new Error(message),
    retryable: false,
  });
};

/**
 * The WebClient reads the response body outside its own error handling, so its timeout striking
 * mid-body arrives as fetch's bare `TimeoutError` (a DOMException), not as a WebAPIRequestError.
 */
const isBodyTimeout = (err: unknown): boolean => err instanceof Error && err.name === 'TimeoutError';

/**
 * fetch rejects with a bare "fetch failed" whose `cause` says what went wrong (ECONNREFUSED, a
 * timeout): name that, without the request it belonged to.
 */
const requestFailure = (err: WebAPIRequestError): string => {
  const { code } = errorFields(err.original.cause);
  return code === undefined ? err.original.message : `${err.original.message} (${code})`;
};
