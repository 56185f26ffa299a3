import type { types } from '@slack/bolt';
import { z } from 'zod';
import { ownPlainText, SLACK_LIMITS } from './escape.js';

/**
 * Action ids of the buttons on the Home tab, in `/ask sessions` and in the result modal, and the
 * encoding of their `value`s. A value is never authority: the handlers re-check that the request
 * belongs to the clicking user. It only has to parse, so garbage is rejected here, before any lookup.
 */
export const ACTION_IDS = Object.freeze({
  /** Open the result modal of a finished request. Value: request id. */
  viewResult: 'bc_view_result',
  /** Clear the 📬 mark of a request. Value: request id. */
  markRead: 'bc_mark_read',
  /** Cancel a queued or running request. Value: request id. */
  cancel: 'bc_cancel',
  /** Run a failed or cancelled request again. Value: request id. */
  retry: 'bc_retry',
  /**
   * Open the session thread. A `url` button when the permalink is known (the handler only acks),
   * otherwise the handler replies with the link. Value: request id.
   */
  openThread: 'bc_open_thread',
  /** Show the next (older) page of sessions. Value: page index, 0-based. */
  older: 'bc_older',
  /** Show the previous (newer) page of sessions. Value: page index, 0-based. */
  newer: 'bc_newer',
  /** Set the "DM me when a background result is ready" preference. Value: the state to switch TO. */
  toggleDm: 'bc_toggle_dm',
} as const);

export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

const ALL_ACTION_IDS: ReadonlySet<string> = new Set(Object.values(ACTION_IDS));

export const isActionId = (value: unknown): value is ActionId =>
  typeof value === 'string' && ALL_ACTION_IDS.has(value);

/** Slack's limit for a button `value`. */
export const ACTION_VALUE_MAX_CHARS = 2000;

/**
 * Our request ids are short (Slack ids and a timestamp). Capping them well below Slack's 2,000
 * keeps a Home page of buttons far below the 250 kB view limit.
 */
export const REQUEST_ID_MAX_CHARS = 256;

/** Pages beyond this are refused (a user with more sessions than this many pages is not real). */
export const MAX_PAGE_INDEX = 99_999;

// Request ids are ours: `${teamId}:${channelId}:${ts}` or `${teamId}:cmd:${triggerId}` (domain.ts).
// Letters, digits and `_ . : - ~ + / =` leave room for other id schemes, and none of them is markup.
export const requestIdSchema = z
  .string()
  .min(1)
  .max(REQUEST_ID_MAX_CHARS)
  .regex(/^[\w.:~+/=-]+$/, 'letters, digits and _ . : - ~ + / =');
const pageIndex = z.number().int().min(0).max(MAX_PAGE_INDEX);
const dmSetting = z.enum(['on', 'off']);

/** The typed value each action carries. */
const VALUE_SCHEMAS = {
  bc_view_result: requestIdSchema,
  bc_mark_read: requestIdSchema,
  bc_cancel: requestIdSchema,
  bc_retry: requestIdSchema,
  bc_open_thread: requestIdSchema,
  bc_older: pageIndex,
  bc_newer: pageIndex,
  bc_toggle_dm: dmSetting,
} as const satisfies Record<ActionId, z.ZodType>;

export type ActionValue<A extends ActionId> = z.output<(typeof VALUE_SCHEMAS)[A]>;

const isPageAction = (actionId: ActionId): boolean =>
  actionId === ACTION_IDS.older || actionId === ACTION_IDS.newer;

// A page index on the wire: decimal, no sign, no leading zeros, no exponent.
const PAGE_WIRE = /^(?:0|[1-9]\d{0,4})$/;

/**
 * The button `value` for an action. Throws a ZodError for a value the action cannot carry (a bug in
 * the caller: our own request ids always fit).
 */
export const encodeActionValue = <A extends ActionId>(actionId: A, value: ActionValue<A>): string => {
  const schema: z.ZodType = VALUE_SCHEMAS[actionId];
  return String(schema.parse(value));
};

/**
 * The typed value of a clicked button, or `undefined` for anything that is not one we could have
 * sent (missing, too long, wrong shape). The handler answers `undefined` with a short note, and
 * still checks that the request belongs to the user.
 */
export const decodeActionValue = <A extends ActionId>(
  actionId: A,
  raw: unknown,
): ActionValue<A> | undefined => {
  if (typeof raw !== 'string' || raw.length > ACTION_VALUE_MAX_CHARS) return undefined;
  let input: unknown = raw;
  if (isPageAction(actionId)) {
    if (!PAGE_WIRE.test(raw)) return undefined;
    input = Number(raw);
  }
  const schema: z.ZodType = VALUE_SCHEMAS[actionId];
  const parsed = schema.safeParse(input);
  return parsed.success ? (parsed.data as ActionValue<A>) : undefined;
};

/** A button that carries its action id and its value, encoded (our own label, never user text). */
export const actionButton = <A extends ActionId>(
  actionId: A,
  label: string,
  value: ActionValue<A>,
  style?: 'primary' | 'danger',
): types.Button => ({
  type: 'button',
  action_id: actionId,
  text: ownPlainText(label, SLACK_LIMITS.buttonTextChars),
  value: encodeActionValue(actionId, value),
  ...(style ? { style } : {}),
});
