/**
 * Errors carry a code and a cause, and are classified once as retryable or final.
 * Final ones become BullMQ's UnrecoverableError at the queue boundary; what becomes of a failed
 * request, by code, is disposition.ts.
 */

/** Every error code, so a table keyed by them (disposition.ts) can be checked for completeness. */
export const ERROR_CODES = [
  'config_invalid',
  'redis_unavailable',
  'llm_rate_limited',
  'llm_quota_exceeded',
  'llm_timeout',
  'llm_first_token_timeout',
  'llm_idle_timeout',
  'llm_server_error',
  'llm_bad_request',
  'llm_auth',
  'llm_stream_cut',
  'llm_unreachable',
  'slack_api',
  'slack_not_in_channel',
  'slack_response_url_expired',
  'cancelled',
  'invalid_payload',
  'user_queue_full',
  'user_rate_limited',
  'thread_busy',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Server hint (e.g. `retry-after`) in milliseconds, when one was given. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { cause?: unknown; retryable?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;

const stringField = (value: unknown, key: 'message' | 'code'): string | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const field: unknown = Reflect.get(value, key);
  return typeof field === 'string' ? field : undefined;
};

/** The message of anything thrown: an Error's (or an error-shaped object's), else its string form. */
export const errorMessage = (err: unknown): string => stringField(err, 'message') ?? String(err);

/**
 * What a log line may say about anything thrown: its message and, when it has a string one, its
 * code (`ECONNRESET`, an AppError code). Never the rest of it: an SDK error can hold a request body.
 */
export const errorFields = (err: unknown): { message: string; code?: string } => {
  const code = stringField(err, 'code');
  return { message: errorMessage(err), ...(code === undefined ? {} : { code }) };
};

/** A short sentence a Slack user can act on; never includes secrets or raw payloads. */
export const userMessageFor = (err: unknown): string => {
  if (!isAppError(err)) return 'Something went wrong on my side. Please ask again in a moment.';
  switch (err.code) {
    case 'llm_rate_limited':
      return 'The language model is rate-limiting us right now. Please ask again in a minute.';
    case 'llm_quota_exceeded':
      return 'The language model account has run out of quota. An admin needs to check the billing; asking again will not help until then.';
    case 'llm_timeout':
      return 'The language model took too long to answer. Please ask again.';
    case 'llm_first_token_timeout':
      return 'The language model took the question but sent nothing back, so I stopped waiting. Please ask again in a moment.';
    case 'llm_idle_timeout':
      return 'The language model stopped sending partway through and did not resume. Please ask again.';
    case 'llm_server_error':
    case 'llm_unreachable':
      return 'The language model is unavailable right now. Please ask again in a few minutes.';
    case 'llm_auth':
      return 'The language model rejected our credentials. An admin needs to check the API key.';
    case 'llm_bad_request':
      return 'The language model refused this request. Try rephrasing or starting a new thread.';
    case 'llm_stream_cut':
      // The cause, not "cut off": the cut-off note around it already says that.
      return 'The connection to the language model broke before the answer was complete. Please ask again.';
    case 'cancelled':
      return 'This request was cancelled.';
    case 'slack_not_in_channel':
      return 'I am not a member of this channel. Invite me with `/invite @Backchannel` and try again.';
    case 'user_queue_full':
      return 'You already have the most queued requests I take per person. Wait for one to finish, or cancel one with `/ask cancel`.';
    case 'user_rate_limited':
      return "You're asking faster than I can answer. Give me a minute, then ask again.";
    case 'thread_busy':
      return 'This thread is busy with earlier questions. Ask again once they are answered.';
    case 'redis_unavailable':
      return 'I could not save your request right now. Please try again in a moment.';
    default:
      return 'Something went wrong on my side. Please ask again in a moment.';
  }
};
