/** Removes the bot's own mention (`<@U123>` or `<@U123|name>`) from a message's text. */
export const stripMention = (text: string, botUserId: string) =>
  text
    .replaceAll(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), '')
    .replace(/[ \t]+/g, ' ')
    .trim();
