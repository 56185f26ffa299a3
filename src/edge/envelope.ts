import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { z } from 'zod';
import {
  blockActionsSchema,
  COMMAND_UNREADABLE,
  developerId,
  responseUrl,
  shortName,
  slackId,
  slashCommandSchema,
  triggerId,
} from './payloads.js';

/**
 * Screens a buffered Slack request before Bolt sees it. Bolt's HTTPReceiver trusts the shape of
 * every signed body: a JSON `null`, an `event` that is a string, a `block_actions` without `user`,
 * or an `authorizations` of `[null]` makes it throw, either as an unhandled rejection (which ends
 * the process) or as a 500 (which Slack redelivers, and counts towards disabling the app). So the
 * signature is checked here with Bolt's rules, the body parsed the way Bolt parses it, and its
 * shape checked for every field Bolt (or our listeners' routing) touches. Only what passes is
 * forwarded; everything else gets its answer here, never a 5xx.
 */

export type Screened =
  | { action: 'forward'; kind: 'event' | 'command' | 'action' | 'view' | 'url_verification' }
  | {
      action: 'answer';
      status: number;
      /** JSON body of the answer (a slash command's private reply), if any. */
      json?: unknown;
      /** Why, for the log line and the metric. */
      reason: string;
    };

/** Slack rejects requests older than this; Bolt does the same (and we also refuse the future). */
const MAX_SKEW_SECONDS = 5 * 60;
const FORM = 'application/x-www-form-urlencoded';

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
};

/** `v0=` + HMAC-SHA256 of `v0:{timestamp}:{raw body}`, compared in constant time. */
export const verifySlackSignature = (
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  nowMs = Date.now(),
): 'ok' | 'missing' | 'stale' | 'mismatch' => {
  const signature = header(headers, 'x-slack-signature');
  const timestamp = header(headers, 'x-slack-request-timestamp');
  if (!secret || !signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return 'missing';
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > MAX_SKEW_SECONDS) return 'stale';
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'mismatch';
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Bolt's own parsing (`parseHTTPRequestBody`): a form body (exact content type) is its `payload`
 * field as JSON when there is one, else the form fields; anything else is JSON.
 */
export const parseSlackBody = (
  contentType: string | undefined,
  rawBody: Buffer,
): { ok: true; body: unknown } | { ok: false } => {
  try {
    const text = rawBody.toString();
    if (contentType === FORM) {
      const form = parseQuery(text);
      return { ok: true, body: typeof form.payload === 'string' ? JSON.parse(form.payload) : form };
    }
    return { ok: true, body: JSON.parse(text) };
  } catch {
    // Not JSON, or a form whose payload is not: the request is refused, not failed.
    return { ok: false };
  }
};

const anyObject = z.custom<Record<string, unknown>>(isPlainObject, 'must be an object');
const nullableObjectWithId = z.looseObject({ id: slackId }).nullish();

/** What Bolt reads of an event envelope (`buildSource`, `getTypeAndConversation`, `ignoreSelf`). */
const eventCallbackSchema = z.looseObject({
  type: z.literal('event_callback'),
  team_id: slackId.nullish(),
  enterprise_id: slackId.nullish(),
  event_id: slackId,
  authorizations: z
    .array(
      z.looseObject({
        team_id: slackId.nullish(),
        enterprise_id: slackId.nullish(),
        user_id: slackId.optional(),
        is_bot: z.boolean().optional(),
        is_enterprise_install: z.boolean().optional(),
      }),
    )
    .max(50)
    .optional(),
  event: z.looseObject({
    type: shortName.min(1),
    // Bolt does `'id' in event.channel`, `'creator' in …`, `event.user.id`, `'channel' in event.item`
    // and `event.subteam.created_by` on whatever is there: strings or objects only, never null.
    channel: z.union([z.string().max(64), anyObject]).optional(),
    user: z.union([z.string().max(64), anyObject]).optional(),
    item: anyObject.optional(),
    subteam: anyObject.optional(),
  }),
});

/** `block_actions` as Bolt routes it (`body.channel.id`, `body.team.id`, `actions[0].action_id`). */
const blockActionsEnvelopeSchema = blockActionsSchema.extend({
  channel: z.looseObject({ id: slackId }).optional(),
  enterprise: nullableObjectWithId,
  view: anyObject.optional(),
});

/** `view_submission` / `view_closed` (Bolt reads `view.app_installed_team_id`). */
const viewEnvelopeSchema = z.looseObject({
  type: z.enum(['view_submission', 'view_closed']),
  user: z.looseObject({ id: slackId, team_id: slackId.nullish() }),
  team: nullableObjectWithId,
  enterprise: nullableObjectWithId,
  trigger_id: triggerId.optional(),
  view: z.looseObject({
    id: slackId.optional(),
    callback_id: z.string().max(255),
    app_installed_team_id: slackId.nullish(),
  }),
});

/**
 * A message shortcut (`message_action`): Bolt routes it by `callback_id` and reads `channel.id`,
 * `team.id` and `user.id`. (The bot has no global shortcuts: `type: shortcut` stays refused.)
 */
const shortcutEnvelopeSchema = z.looseObject({
  type: z.literal('message_action'),
  callback_id: z.string().max(255),
  user: z.looseObject({ id: slackId, team_id: slackId.nullish() }),
  team: nullableObjectWithId,
  enterprise: nullableObjectWithId,
  channel: z.looseObject({ id: slackId }).optional(),
});

/** Read by Bolt on every body whose `response_url` is empty: `response_urls[0].response_url`. */
const responseUrlsSchema = z.looseObject({
  response_urls: z
    .array(z.looseObject({ response_url: responseUrl, block_id: developerId.optional() }))
    .max(25)
    .optional(),
});

const urlVerificationSchema = z.looseObject({
  type: z.literal('url_verification'),
  challenge: z.string().min(1).max(1000),
});

const refuse = (reason: string, status = 400): Screened => ({ action: 'answer', status, reason });
const ok: Screened = { action: 'answer', status: 200, reason: 'acknowledged' };

/** The shape check, in the order Bolt's `getTypeAndConversation` routes a body. */
export const screenSlackBody = (body: unknown): Screened => {
  if (!isPlainObject(body)) return refuse('body is not an object');
  if (body.ssl_check === '1') return ok;
  if (body.type === 'url_verification')
    return urlVerificationSchema.safeParse(body).success
      ? { action: 'forward', kind: 'url_verification' }
      : refuse('malformed url_verification');
  // Slack's notice that it is dropping events for a while: acknowledged, nothing to process.
  if (body.type === 'app_rate_limited') return { ...ok, reason: 'app_rate_limited' };
  if (!responseUrlsSchema.safeParse(body).success) return refuse('malformed response_urls');
  if (body.event !== undefined)
    return eventCallbackSchema.safeParse(body).success
      ? { action: 'forward', kind: 'event' }
      : refuse('malformed event envelope');
  if (body.command !== undefined)
    // A slash command is answered in the ack itself: the user reads why, privately.
    return slashCommandSchema.safeParse(body).success
      ? { action: 'forward', kind: 'command' }
      : { action: 'answer', status: 200, json: COMMAND_UNREADABLE, reason: 'malformed slash command' };
  if (body.name !== undefined || body.type === 'block_suggestion')
    return refuse('unsupported options request');
  if (body.actions !== undefined || body.type === 'dialog_submission' || body.type === 'workflow_step_edit')
    return blockActionsEnvelopeSchema.safeParse(body).success
      ? { action: 'forward', kind: 'action' }
      : refuse('malformed block_actions');
  if (body.type === 'view_submission' || body.type === 'view_closed')
    return viewEnvelopeSchema.safeParse(body).success
      ? { action: 'forward', kind: 'view' }
      : refuse('malformed view payload');
  if (body.type === 'message_action')
    return shortcutEnvelopeSchema.safeParse(body).success
      ? { action: 'forward', kind: 'action' }
      : refuse('malformed shortcut');
  return refuse('unknown payload type');
};

/** The whole screen: ssl_check, signature (401), parse (400), shape. */
export const screenSlackRequest = (o: {
  signingSecret: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  nowMs?: number;
}): Screened => {
  const contentType = header(o.headers, 'content-type');
  // Slack's ssl_check is not signed (Bolt answers it unverified too); it carries nothing to act on.
  if (contentType === FORM && parseQuery(o.rawBody.toString()).ssl_check === '1') return ok;
  const signature = verifySlackSignature(o.signingSecret, o.headers, o.rawBody, o.nowMs);
  if (signature !== 'ok') return refuse(`signature ${signature}`, 401);
  const parsed = parseSlackBody(contentType, o.rawBody);
  if (!parsed.ok) return refuse('body does not parse');
  return screenSlackBody(parsed.body);
};
