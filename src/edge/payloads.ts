import { z } from 'zod';
import { slackFilesSchema } from '../out/files/slack-file.js';

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
  /** Shared files (`file_share` and files on ordinary messages): read as references only. */
  files: slackFilesSchema.optional(),
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

/**
 * What the user is looking at (Agent messaging experience): `context.entities`, most relevant
 * first. Entities of kinds we do not use pass unread; the ones we use are checked where read.
 */
const agentContextSchema = z.object({
  entities: z
    .array(z.looseObject({ type: shortName, value: z.unknown() }))
    .max(50)
    .optional(),
});
type AgentContext = z.infer<typeof agentContextSchema>;

const channelEntity = z.object({ type: z.literal('slack#/types/channel_id'), value: slackId });
const messageEntity = z.object({
  type: z.literal('slack#/types/message_context'),
  value: z.object({ channel_id: slackId, message_ts: slackTs }),
});

/**
 * The channel (and message) in view, from the most relevant entity that names one. DMs are left
 * out: prompts about "the channel you are in" make no sense there.
 */
export const viewingOf = (context: AgentContext | null | undefined) => {
  for (const entity of context?.entities ?? []) {
    const channel = channelEntity.safeParse(entity);
    const message = messageEntity.safeParse(entity);
    const channelId = channel.success
      ? channel.data.value
      : message.success
        ? message.data.value.channel_id
        : '';
    if (!channelId || channelId.startsWith('D')) continue;
    return { channelId, ...(message.success ? { messageTs: message.data.value.message_ts } : {}) };
  }
  return undefined;
};

export const homeOpenedSchema = z.object({
  type: z.literal('app_home_opened'),
  user: slackId,
  /** The DM with the bot, which the Messages tab shows. */
  channel: slackId.optional(),
  tab: shortName.optional(),
  context: agentContextSchema.nullish(),
});

/** `app_context_changed`: `user` is in the SDK's type; Slack's example carries it on the authorization. */
export const contextChangedSchema = z.object({
  type: z.literal('app_context_changed'),
  user: slackId.optional(),
  context: agentContextSchema.nullish(),
});

/** The user an `app_context_changed` is about: the event's, else the (non-bot) authorization's. */
export const contextUser = (
  event: z.infer<typeof contextChangedSchema>,
  body: unknown,
): string | undefined => {
  if (event.user) return event.user;
  const auth = z
    .object({ authorizations: z.array(z.object({ user_id: slackId, is_bot: z.literal(false) })).min(1) })
    .safeParse(body);
  return auth.success ? auth.data.authorizations[0]?.user_id : undefined;
};

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

/** The workspace of an interaction: where it happened, else (org-wide installs) the user's. */
export const interactionTeam = (p: {
  team?: { id: string } | null | undefined;
  user: { team_id?: string | null | undefined };
}): string | undefined => p.team?.id ?? p.user.team_id ?? undefined;

/**
 * A click on an answer's 👍/👎 (`feedback_buttons`): the value says which button, and the container
 * which message it was on. The message, not the value, decides which request the click counts for.
 */
export const feedbackClickSchema = z
  .object({
    type: z.literal('block_actions'),
    user: z.object({ id: slackId, team_id: slackId.nullish() }),
    team: z.object({ id: slackId }).nullish(),
    trigger_id: triggerId.optional(),
    container: z.object({
      type: z.literal('message'),
      message_ts: slackTs,
      channel_id: slackId.optional(),
    }),
    channel: z.object({ id: slackId }).optional(),
    actions: z
      .array(
        z.object({
          type: z.literal('feedback_buttons'),
          action_id: developerId,
          value: actionValue,
          action_ts: slackTs.optional(),
        }),
      )
      .min(1)
      .max(25),
  })
  .refine((p) => p.container.channel_id !== undefined || p.channel !== undefined, 'needs a channel');

/**
 * An input's state in a submitted view (Slack caps `plain_text_input` at 3,000 characters; a
 * `number_input` sends its number as `value`, a `users_select` its `selected_user`).
 */
const viewStateValue = z.object({
  type: shortName,
  value: z.string().max(3000).nullish(),
  selected_user: slackId.nullish(),
});

/** A submitted modal, as far as we read it: who, which modal, its private_metadata and its inputs. */
export const viewSubmissionSchema = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: slackId, team_id: slackId.nullish() }),
  team: z.object({ id: slackId }).nullish(),
  view: z.object({
    callback_id: developerId,
    private_metadata: z.string().max(3000).default(''),
    state: z.object({
      values: z.record(developerId, z.record(developerId, viewStateValue)),
    }),
  }),
});
