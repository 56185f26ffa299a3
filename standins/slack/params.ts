import { isObject } from '../http.js';
import type { Params } from './types.js';

/** Reading a Web API call's parameters, and the `{ ok: false, error }` a handler answers with. */

/** Thrown by a method handler; the server answers `{ ok: false, error, ...extra }`. */
export class SlackFailure extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

/** A Slack error; with `messages`, the `errors` and `response_metadata.messages` Slack adds to invalid_* codes. */
export const fail = (error: string, messages?: string[]): SlackFailure =>
  new SlackFailure(
    error,
    messages
      ? { errors: messages, response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } }
      : {},
  );

export const asString = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

export const asBool = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;

export const required = (p: Params, key: string, error = 'invalid_arguments'): string => {
  const v = asString(p[key]);
  if (v === undefined || v === '')
    throw fail(error, error === 'invalid_arguments' ? [`missing required field: ${key}`] : undefined);
  return v;
};

/** Body fields @slack/web-api JSON-encodes inside a form body. */
const JSON_FIELDS = new Set([
  'blocks',
  'attachments',
  'metadata',
  'chunks',
  'view',
  'loading_messages',
  'prompts',
]);

/** The call's parameters from the query, then a form or JSON body; JSON-valued form fields parsed. */
export const parseParams = (raw: string, contentType: string, query: URLSearchParams): Params => {
  const params: Params = Object.fromEntries(query);
  if (contentType.includes('application/json')) {
    if (raw.trim() !== '') {
      const body: unknown = JSON.parse(raw);
      if (!isObject(body)) throw new Error('JSON body is not an object');
      Object.assign(params, body);
    }
  } else {
    Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
  }
  for (const key of JSON_FIELDS) {
    const v = params[key];
    if (typeof v === 'string' && v !== '') {
      try {
        params[key] = JSON.parse(v);
      } catch {
        // Left as a string: the handler answers with the field's *_format error.
      }
    }
  }
  return params;
};
