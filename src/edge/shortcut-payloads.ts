import { z } from 'zod';
import { developerId, messageText, responseUrl, slackId, slackTs, triggerId } from './payloads.js';

/**
 * A message shortcut (`message_action`): who used it, on which message, and the handles to answer
 * them (`trigger_id` for a modal, within 3 s; `response_url`, which reaches the user privately even
 * in a channel the bot is not in). Slack's reference: "Shortcuts interaction payloads".
 */
export const messageShortcutSchema = z.object({
  type: z.literal('message_action'),
  callback_id: developerId,
  trigger_id: triggerId,
  response_url: responseUrl,
  action_ts: slackTs,
  message_ts: slackTs,
  user: z.object({ id: slackId, team_id: slackId.nullish() }),
  team: z.object({ id: slackId }).nullish(),
  channel: z.object({ id: slackId }),
  message: z.object({
    ts: slackTs,
    thread_ts: slackTs.optional(),
    user: slackId.optional(),
    bot_id: slackId.optional(),
    text: messageText.optional(),
  }),
});
export type MessageShortcut = z.infer<typeof messageShortcutSchema>;

/**
 * What the *Ask about this* modal carries from the shortcut to its submission (`private_metadata`,
 * at most 3,000 characters): the channel, the message and its thread, the shortcut's response_url
 * and the start of the message. Slack returns it as we wrote it, in a signed request; it is parsed
 * again all the same.
 */
export const askMetadataSchema = z.object({
  c: slackId,
  m: slackTs,
  t: slackTs,
  r: responseUrl,
  x: z.string().max(1_000).default(''),
});
export type AskMetadata = z.infer<typeof askMetadataSchema>;

/** The modal's `private_metadata`: the excerpt is cut so that the whole fits Slack's 3,000 characters. */
export const encodeAskMetadata = (m: AskMetadata, max = 3_000): string => {
  const bare = JSON.stringify({ ...m, x: '' });
  let x = m.x.slice(0, 1_000);
  // JSON escapes can make the excerpt longer than itself: shorten until it fits.
  while (x && JSON.stringify({ ...m, x }).length > max) x = x.slice(0, Math.floor(x.length * 0.8));
  return x ? JSON.stringify({ ...m, x }) : bare;
};

export const decodeAskMetadata = (raw: string): AskMetadata | undefined => {
  try {
    const parsed = askMetadataSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};

/** A ts-shaped "now", for a request's place in its thread's order when Slack gives none (a modal submitted). */
export const tsNow = (now = Date.now()): string => (now / 1000).toFixed(6);
