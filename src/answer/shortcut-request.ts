import type { AcceptedRequest, ShortcutUse } from '../core/domain.js';
import { slackErrorCode } from '../out/slack-error.js';

/**
 * What a message shortcut asks the model, and what the thread shows of it. The request handler
 * (handle-request.ts) answers a shortcut like a mention in the message's thread; these are the parts
 * that differ.
 */

/** *Summarize thread*: the question put to the model, read back as the requester's turn. */
export const SUMMARY_QUESTION =
  'Summarize this thread: the main points, any decisions made, and open questions with who owns them.';

/**
 * The question the model answers. *Ask about this*: the question typed in the modal, then the
 * message it is about (the thread holds it too, but a long thread may be trimmed past it, and the
 * model must know which message is meant). *Answer in background*: the message's own text.
 */
export const shortcutQuestion = (request: Pick<AcceptedRequest, 'text'>, use: ShortcutUse): string => {
  if (use.kind === 'summarize') return SUMMARY_QUESTION;
  const text = request.text.trim();
  if (use.kind === 'later' || !text) return text;
  const excerpt = use.excerpt?.trim();
  if (!excerpt) return text;
  return `${text}\n\n(About this message in the thread: "${excerpt.replace(/\s+/g, ' ')}")`;
};

/**
 * The visible line the bot posts in the thread for the requester's question (marked as the
 * question, so it is read back as their turn and carries the badge): others in the thread see who
 * asked what. *Answer in background* posts none: the message itself is the question.
 */
export const shortcutShown = (userId: string, request: Pick<AcceptedRequest, 'text'>, use: ShortcutUse) =>
  use.kind === 'summarize'
    ? `<@${userId}> asked me to summarize this thread.`
    : `<@${userId}> asked about a message here:\n>${request.text.trim().replace(/\n/g, '\n>')}`;

/** Slack's refusals of a channel the bot is not in (a private one it cannot even see, or archived). */
export const cannotPostIn = (err: unknown): boolean => {
  const code = slackErrorCode(err);
  return code === 'not_in_channel' || code === 'channel_not_found' || code === 'is_archived';
};

/** The private note for a shortcut used in a channel the bot is not in. */
export const inviteText = (channelId: string) =>
  `I'm not in <#${channelId}>, so I can't read or answer there. Invite me with \`/invite @Backchannel\`, then use the shortcut again.`;

/** *Answer in background* on a message with no words (a file, an image). */
export const NO_TEXT = 'That message has no text for me to answer. Use *Ask Backchannel about this* instead.';
