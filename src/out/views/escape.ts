import type { types } from '@slack/bolt';
import { escapeMrkdwn, neutralizeBroadcasts, splitForMessages, WORD_JOINER } from '../format.js';

/**
 * Text that came from users or the model, made safe for our views: it can neither mention anyone
 * (`<!channel>`, `<@U…>`, `<!subteam^…>`, bare `@here`), nor link (`<http://evil|click>`), nor format
 * our layout. And Slack's size limits, so every text object we build fits. Pure; no I/O.
 *
 * Where the text goes decides the treatment:
 * - `plain_text` (titles, failure reasons, the question in the result modal): Slack renders it
 *   literally, so there is nothing to format; broadcasts are neutralised and `<` before a mention or
 *   a URL scheme gets a word joiner, so even a client that parsed it could not resolve a mention.
 *   `&`, `<`, `>` are NOT entity-escaped there (Slack would show `&amp;` verbatim).
 * - `mrkdwn` for short inline text (model names): `&`, `<`, `>` escaped as `&amp;`, `&lt;`, `&gt;`
 *   (Slack's documented escaping) and `*`, `_`, `~`, `` ` `` replaced by look-alikes. A zero-width
 *   character next to them is not enough: Slack treats zero-width spaces as word boundaries, which
 *   *enables* formatting (jsx-slack's "exact mode" relies on it), so look-alikes it is.
 * - `mrkdwn` for the model's answer ({@link answerToMrkdwnChunks}): Markdown converted to mrkdwn so
 *   it stays readable, then escaped; masked links become "text (url)", so the real address shows.
 */

/**
 * Slack's documented limits for what we build: Block Kit's reference for blocks and elements
 * (https://docs.slack.dev/reference/block-kit/blocks), views.publish for the 250 kB view.
 */
export const SLACK_LIMITS = Object.freeze({
  /** Blocks in a Home tab or a modal. */
  viewBlocks: 100,
  /** Blocks in a message, ephemeral ones included. */
  messageBlocks: 50,
  /** Section text and context elements. */
  textChars: 3000,
  /** Button text (plain_text). */
  buttonTextChars: 75,
  /** Header block text (plain_text). */
  headerChars: 150,
  /** Modal title and close button (plain_text). */
  modalTitleChars: 24,
  /** Button `value`. */
  buttonValueChars: 2000,
  /** Button `url`. */
  buttonUrlChars: 3000,
  /** Elements in a context block. */
  contextElements: 10,
  /** Elements in an actions block. */
  actionsElements: 25,
  /** `private_metadata` of a view. */
  privateMetadataChars: 3000,
  /** A whole view payload (views.publish, views.open). */
  viewBytes: 250_000,
  /** Messages with more block text than about this are rejected (`msg_blocks_too_long`). */
  messageBlockTextChars: 13_000,
});

const ELLIPSIS = '…';

/** Shortens to at most `max` UTF-16 units, ending with "…" when cut; never splits a surrogate pair. */
export const truncate = (text: string, max: number): string => {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max - ELLIPSIS.length) break;
    out += ch;
  }
  return `${out.trimEnd()}${ELLIPSIS}`;
};

export { escapeMrkdwn };

// `<` that would open a mention (`<@U…>`, `<#C…>`, `<!here>`) or a link (`<https:…>`, `<mailto:…>`).
const MENTION_OR_LINK_OPENER = /<(?=[@#!]|[a-z][a-z0-9+.-]{0,31}:)/gi;

/** Collapses every run of whitespace (newlines included) to one space, for one-line fields. */
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * User or model text for a `plain_text` object: broadcasts neutralised, mention and link openers
 * broken with a word joiner, truncated to `max`. `singleLine` (default) folds newlines.
 */
export const safePlainText = (text: string, max: number, { singleLine = true } = {}): string => {
  const shaped = singleLine ? oneLine(text) : text.trim();
  const safe = neutralizeBroadcasts(shaped).replace(MENTION_OR_LINK_OPENER, `<${WORD_JOINER}`);
  return truncate(safe, max);
};

// Characters that open mrkdwn formatting, and look-alikes Slack does not parse (as jsx-slack does).
const LOOKALIKES: Readonly<Record<string, string>> = {
  '*': '\u2217', // ∗ ASTERISK OPERATOR
  _: '\u02cd', // ˍ MODIFIER LETTER LOW MACRON
  '~': '\u223c', // ∼ TILDE OPERATOR
  '`': '\u02cb', // ˋ MODIFIER LETTER GRAVE ACCENT
};
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Short user or model text for inline use in `mrkdwn` (model name, a label next to our own
 * formatting): one line, broadcasts neutralised, `&<>` escaped, formatting characters replaced by
 * look-alikes, at most `max` characters after escaping (an entity is never cut in half).
 */
export const inlineMrkdwn = (text: string, max: number = SLACK_LIMITS.textChars): string => {
  const pieces = [...neutralizeBroadcasts(oneLine(text))].map((ch) => ENTITIES[ch] ?? LOOKALIKES[ch] ?? ch);
  const whole = pieces.join('');
  if (whole.length <= max) return whole;
  let out = '';
  for (const piece of pieces) {
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out += piece;
  }
  return `${out.trimEnd()}${ELLIPSIS}`;
};

/** A `plain_text` object for user or model text ({@link safePlainText}). */
export const plainText = (text: string, max: number = SLACK_LIMITS.textChars): types.PlainTextElement => ({
  type: 'plain_text',
  text: safePlainText(text, max) || ' ',
  emoji: true,
});

/**
 * A `plain_text` object for OUR OWN fixed wording (button labels, headers): only truncated. Never
 * pass user or model text here.
 */
export const ownPlainText = (text: string, max: number = SLACK_LIMITS.textChars): types.PlainTextElement => ({
  type: 'plain_text',
  text: truncate(text, max),
  emoji: true,
});

/**
 * A `mrkdwn` object for OUR OWN formatting, whose user-supplied parts were already passed through
 * {@link inlineMrkdwn} or {@link escapeMrkdwn}. `verbatim` stops Slack from auto-linking names and
 * URLs that we did not mark up ourselves. Truncation here is a last guard; callers size their text.
 */
export const mrkdwn = (text: string, { verbatim = true } = {}): types.MrkdwnElement => ({
  type: 'mrkdwn',
  text: text.length <= SLACK_LIMITS.textChars ? text : truncate(text, SLACK_LIMITS.textChars),
  verbatim,
});

/**
 * A link we may put in a `url` button or a mrkdwn link: https only, within Slack's 3,000 characters,
 * and nothing that could close a `<url|label>` early. Anything else is `undefined`.
 */
export const safeUrl = (raw: string | undefined): string | undefined => {
  if (!raw || raw.length > SLACK_LIMITS.buttonUrlChars || /[\s<>|]/.test(raw)) return undefined;
  return URL.parse(raw)?.protocol === 'https:' ? raw : undefined;
};

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const BULLET = /^([ \t]*)[*+-][ \t]+/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const LINK = /!?\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"\n]*")?\s*\)/g;
// Placeholder for bold markers while single `*` italics are rewritten (a private-use character).
const BOLD = '\ue000';

const convertInline = (text: string): string =>
  text
    .replace(LINK, (_m, label: string, url: string) => {
      const name = label.trim();
      return name === '' || name === url ? url : `${name} (${url})`;
    })
    .replace(/\*\*(?=\S)([^*\n]*?\S)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/__(?=\S)([^_\n]*?\S)__/g, `${BOLD}$1${BOLD}`)
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '$1_$2_')
    .replace(/~~(?=\S)([^~\n]*?\S)~~/g, '~$1~')
    .replaceAll(BOLD, '*');

/** Inline conversion outside code spans; code spans are kept as they are. */
const convertLineInline = (line: string): string =>
  line
    .split(/(`[^`\n]+`)/)
    .map((segment, i) => (i % 2 === 1 ? segment : convertInline(segment)))
    .join('');

/**
 * Standard Markdown (what the model writes) to Slack mrkdwn, so an answer stays readable in a
 * `section`: `**bold**` → `*bold*`, `*it*` → `_it_`, `~~x~~` → `~x~`, headings → bold lines,
 * `* item` → `• item`, `[text](url)` → `text (url)` (no masked links from the model), fenced code
 * kept as bare ``` fences (mrkdwn has no language tags). Nothing is escaped here.
 */
export const markdownToMrkdwn = (markdown: string): string => {
  const out: string[] = [];
  let fence: { char: string; length: number } | undefined;
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    const m = FENCE.exec(line);
    const marker = m?.[1] ?? '';
    const rest = m?.[2] ?? '';
    if (fence) {
      if (m && marker[0] === fence.char && marker.length >= fence.length && rest.trim() === '') {
        out.push('```');
        fence = undefined;
      } else {
        // A ``` inside the code would end Slack's code block early.
        out.push(line.replaceAll('```', '\u02cb\u02cb\u02cb'));
      }
      continue;
    }
    if (m && !(marker[0] === '`' && rest.includes('`'))) {
      fence = { char: marker[0] ?? '`', length: marker.length };
      out.push('```');
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const title = convertLineInline(heading[1] ?? '').replace(/\*/g, '');
      out.push(title === '' ? '' : `*${title}*`);
    } else if (RULE.test(line)) {
      out.push('──────────');
    } else {
      out.push(convertLineInline(line.replace(BULLET, '$1• ')));
    }
  }
  if (fence) out.push('```');
  return out.join('\n');
};

/**
 * The model's answer as mrkdwn chunks of at most `maxChars` characters each (after escaping), in
 * order, for consecutive `section` blocks: broadcasts neutralised, Markdown converted, `&<>`
 * escaped. Chunks break on paragraphs or lines when they can, and a code block split across two
 * chunks is closed and re-opened (splitForMessages). Splitting happens before escaping, so an
 * entity is never cut in half; a part that grows past the limit when escaped is split again.
 */
export const answerToMrkdwnChunks = (
  markdown: string,
  maxChars: number = SLACK_LIMITS.textChars,
): string[] => {
  const converted = markdownToMrkdwn(neutralizeBroadcasts(markdown));
  const chunks: string[] = [];
  const visit = (text: string, limit: number): void => {
    for (const part of splitForMessages(text, limit)) {
      const escaped = escapeMrkdwn(part);
      if (escaped.length <= maxChars) {
        if (escaped.trim() !== '') chunks.push(escaped);
        continue;
      }
      if (limit <= 16) throw new RangeError(`cannot fit mrkdwn chunks into ${maxChars} characters`);
      // Shrink in proportion to the growth, with a margin for fence repairs.
      visit(part, Math.max(16, Math.floor((limit * maxChars) / escaped.length) - 8));
    }
  };
  visit(converted, maxChars);
  return chunks;
};
