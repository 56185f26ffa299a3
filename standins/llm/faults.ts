import type { OpenAIFault } from './types.js';

/** OpenAI's error bodies, and the immediate answer of each fault that is one. */

export const errorBody = (
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
) => ({
  error: { message, type, param, code },
});

export interface ErrorAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The error a fault answers with at once; undefined for faults that play out over the stream (hang, stall, cut). */
export const faultAnswer = (fault: OpenAIFault, model: string): ErrorAnswer | undefined => {
  switch (fault.kind) {
    case '429': {
      const headers: Record<string, string> = { 'retry-after': String(fault.retryAfter ?? 1) };
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      return {
        status: 429,
        body: errorBody(
          `Rate limit reached for ${model} in organization org-standin on requests per min (RPM). Please try again in ${fault.retryAfter ?? 1}s.`,
          'requests',
          'rate_limit_exceeded',
        ),
        headers,
      };
    }
    case 'insufficient_quota':
      return {
        status: 429,
        body: errorBody(
          'You exceeded your current quota, please check your plan and billing details.',
          'insufficient_quota',
          'insufficient_quota',
        ),
      };
    case '5xx': {
      const status = fault.status ?? 500;
      const message =
        status === 503
          ? 'The engine is currently overloaded, please try again later.'
          : 'The server had an error while processing your request. Sorry about that!';
      return { status, body: errorBody(message, 'server_error', null) };
    }
    case 'error':
      return {
        status: fault.status,
        body: { error: { param: null, ...fault.error } },
        ...(fault.headers ? { headers: fault.headers } : {}),
      };
    default:
      return undefined;
  }
};
