import { isObject } from '../../../standins/http.js';
import { textObjects } from '../../../standins/slack/block-kit.js';

/**
 * What hostile text may never become in a view or message: pings, links, raw markup. (Slack's size
 * limits are checked by the stand-in's `blockKitErrors`.)
 */

type Json = unknown;

export { textObjects };

/** Every string value anywhere in the JSON (text, values, urls, metadata). */
export const allStrings = (root: Json): string[] => {
  const out: string[] = [];
  const visit = (node: Json): void => {
    if (typeof node === 'string') out.push(node);
    else if (Array.isArray(node)) for (const child of node) visit(child);
    else if (isObject(node)) for (const child of Object.values(node)) visit(child);
  };
  visit(root);
  return out;
};

// What hostile text must never turn into in our views: pings, links, mentions.
const DANGEROUS = [/<!channel/i, /<!here/i, /<!everyone/i, /<!subteam/i, /<@[UW]/i, /<https?:/i, /<mailto:/i];
const BARE_BROADCAST = /(^|[^\w@\u2060])@(channel|here|everyone)\b/i;

/**
 * Strings in the JSON that could ping or link: special mentions, user mentions, `<http…>` links
 * and bare `@here`. `allow` lists our own markup (e.g. `<#C0123ABC>`, `<@UBOT>`).
 */
export const dangerousStrings = (root: Json, allow: readonly string[] = []): string[] =>
  allStrings(root).filter((s) => {
    const stripped = allow.reduce((acc, ok) => acc.replaceAll(ok, ''), s);
    return DANGEROUS.some((re) => re.test(stripped)) || BARE_BROADCAST.test(stripped);
  });

/** mrkdwn texts with a raw `<` that is not one of the allowed pieces of our own markup. */
export const rawAnglesInMrkdwn = (root: Json, allow: readonly string[] = []): string[] =>
  textObjects(root)
    .filter((t) => t.type === 'mrkdwn')
    .map((t) => allow.reduce((acc, ok) => acc.replaceAll(ok, ''), t.text))
    .filter((text) => text.includes('<') || text.includes('>'));
