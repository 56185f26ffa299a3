import { z } from 'zod';

/**
 * Zod schemas for the Slack payloads we act on, parsed at the edge. Unknown fields pass through;
 * missing required ones make the payload "malformed" (logged, acknowledged, not processed).
 *
 * Every id is bounded in length and shape: ids become Redis key parts, prompt text and log fields,
 * so a 10,000-character "user id" must never get past here. Slack ids are short alphanumeric
 * strings (`U0G9QF9C6`, `Ev08MFMKH6`); no separator may appear, so an id can never forge a key part.
 */
export const slackId = z.string().regex(/^[A-Za-z0-9]{1,64}$/, 'must be a Slack id');
/** Message timestamps: `1700000000.000100`. */
export const slackTs = z.string().regex(/^\d{1,16}\.\d{1,12}$/, 'must be a Slack ts');
/** trigger_id: `13345224609.738474920.8088930838d88f008e0`. */
export const triggerId = z.string().regex(/^[A-Za-z0-9._-]{1,255}$/, 'must be a trigger id');
/** Developer-chosen ids (action_id, block_id, callback_id): Slack caps them at 255 characters. */
export const developerId = z.string().min(1).max(255);
/** Button values: at most 2,000 characters (Block Kit). */
export const actionValue = z.string().max(2000);
export const responseUrl = z.url({ protocol: /^https?$/ }).max(2048);
/** Short enumerations Slack names (channel_type, subtype, tab, event type). */
export const shortName = z.string().max(64);

/**
 * Slack truncates message text past 40,000 characters, so anything longer is not a Slack message.
 * Counted in characters (code points), with `&lt;` `&gt;` `&amp;` as one, since Slack escapes those
 * three in event text.
 */
export const MAX_MESSAGE_CHARS = 40_000;
const messageChars = (text: string): number => {
  if (text.length <= MAX_MESSAGE_CHARS) return text.length;
  // Past 4 code units per character nothing can bring it back under the limit: skip the count.
  if (text.length > MAX_MESSAGE_CHARS * 4) return Number.POSITIVE_INFINITY;
  let n = 0;
  for (const _ of text.replace(/&(?:lt|gt|amp);/g, '&')) n++;
  return n;
};
export const messageText = z
  .string()
  .refine((t) => messageChars(t) <= MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`);

export const messageEventSchema = z.object({
  type: z.enum(['message', 'app_mention']),
  subtype: shortName.optional(),
  user: slackId.optional(),
  bot_id: slackId.optional(),
  text: messageText.optional(),
  ts: slackTs,
  thread_ts: slackTs.optional(),
  channel: slackId,
  channel_type: shortName.optional(),
  team: slackId.optional(),
});
export type MessageEvent = z.infer<typeof messageEventSchema>;

export const eventEnvelopeSchema = z.object({
  team_id: slackId.nullish(),
  event_id: slackId,
  authorizations: z.array(z.object({ team_id: slackId.nullish() })).optional(),
});
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

/**
 * The workspace that received an event: the installation it was delivered to
 * (`authorizations[0].team_id`, what Bolt authorizes with), else the envelope's `team_id`. Never
 * `event.team`: in a Slack Connect channel that is the author's own workspace, which differs from
 * message to message, so a thread keyed by it would not be found for the next author's reply. In a
 * channel of one workspace all three are the same.
 */
export const receivingTeam = (env: EventEnvelope): string | undefined =>
  env.authorizations?.[0]?.team_id ?? env.team_id ?? undefined;

export const homeOpenedSchema = z.object({
  type: z.literal('app_home_opened'),
  user: slackId,
  tab: shortName.optional(),
});

/**
 * `agent_session_stopped`: someone pressed the stop button of an agent session. Slack has already
 * stopped the app's streams it lists (empty when none was streaming); the team is on the envelope.
 */
export const sessionStoppedSchema = z.object({
  type: z.literal('agent_session_stopped'),
  channel: slackId,
  user: slackId,
  thread_ts: slackTs,
  streaming_message_ts: z.array(slackTs).max(50).default([]),
  event_ts: slackTs.optional(),
});

export const slashCommandSchema = z.object({
  command: shortName,
  text: messageText.default(''),
  user_id: slackId,
  channel_id: slackId,
  team_id: slackId,
  trigger_id: triggerId,
  response_url: responseUrl,
});
export type SlashCommand = z.infer<typeof slashCommandSchema>;

/** The private reply to a slash command the edge could not read. */
export const COMMAND_UNREADABLE = {
  response_type: 'ephemeral',
  text: 'Sorry, I could not read that command. Please try again.',
} as const;

export const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: slackId, team_id: slackId.nullish() }),
  // `team` is where the click happened (null for org-wide installs, then the user's team is used).
  team: z.object({ id: slackId }).nullish(),
  trigger_id: triggerId.optional(),
  response_url: responseUrl.optional(),
  container: z.looseObject({ type: shortName }).optional(),
  actions: z
    .array(z.object({ action_id: developerId, value: actionValue.optional(), action_ts: slackTs.optional() }))
    .min(1)
    .max(25),
});
export type BlockActions = z.infer<typeof blockActionsSchema>;
