/**
 * What in a Slack message is a user's words: the edge screens incoming messages with it, and the
 * thread reader reads a thread back with it.
 */

/** Subtypes that still carry a user's words. Everything else (joins, edits, deletions…) is ignored. */
export const TEXT_SUBTYPES = new Set<string | undefined>([undefined, 'thread_broadcast', 'file_share']);

/** Removes the bot's own mention (`<@U123>` or `<@U123|name>`) from a message's text. */
export const stripMention = (text: string, botUserId: string) =>
  text
    .replaceAll(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), '')
    .replace(/[ \t]+/g, ' ')
    .trim();
