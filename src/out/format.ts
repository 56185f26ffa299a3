import { type Fence, nextFence } from './fences.js';
import { neutralize, WORD_JOINER } from './neutralize.js';
import { findTables, plainRows, type TableBlock, toMonospace, toTableBlock } from './tables.js';

/**
 * Pure text shaping for answers going to Slack: mentions and masked links made harmless
 * (neutralize.ts), Markdown wrapped in a `markdown` block, and long answers split into
 * message-sized parts. No I/O here.
 */

export { WORD_JOINER };

/**
 * Slack's `markdown` block and the `markdown_text` of streams take standard Markdown, at most 12,000
 * characters per payload. Messages with more than about 13,000 characters of block text are
 * rejected (`msg_blocks_too_long`), so one message carries at most 11,000 characters of answer:
 * room for a fence closer and the fallback text.
 */
export const MARKDOWN_BLOCK_MAX_CHARS = 12_000;
export const MESSAGE_MAX_CHARS = 11_000;

/** Notification text shown in push notifications and by clients that cannot render blocks. */
export const FALLBACK_TEXT_MAX_CHARS = 300;

// `<!channel>`, `<!here|here>`, `<!everyone>`, legacy `<!group>`: Slack's special mentions.
const SPECIAL_MENTION = /<!(channel|here|everyone|group)(?:\|[^>\n]*)?>/gi;
// `<!subteam^S0123|@team>`: a user-group mention; keep its label as text.
const SUBTEAM_MENTION = /<!subteam\^[^|>\n]*(?:\|([^>\n]*))?>/gi;
// Plain `@channel` words, which Slack links when it parses names; not inside e-mail addresses.
const PLAIN_BROADCAST = /(^|[^\w@])@(channel|here|everyone)\b/gi;

/**
 * Makes broadcast mentions in model output render as text that pings nobody: `<!channel>` becomes
 * `@⁠channel` (with a word joiner after the `@`), `<!subteam^…|@eng>` becomes `@⁠eng`, and plain
 * `@here` gets the same joiner. Idempotent, so text may be neutralised more than once.
 */
export const neutralizeBroadcasts = (text: string): string =>
  text
    .replace(SPECIAL_MENTION, (_m, name: string) => `@${WORD_JOINER}${name}`)
    .replace(SUBTEAM_MENTION, (_m, label: string | undefined) => {
      const name = (label ?? '').replace(/^@/, '').trim() || 'team';
      return `@${WORD_JOINER}${name}`;
    })
    .replace(PLAIN_BROADCAST, (_m, before: string, name: string) => `${before}@${WORD_JOINER}${name}`);

/** Slack's escaping for mrkdwn: `&`, `<`, `>` only (other entities are shown verbatim). */
export const escapeMrkdwn = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A short plain rendering of Markdown for the `text` field that accompanies blocks (notifications,
 * screen readers' summaries). `text` is mrkdwn, so `<`, `>` and `&` are escaped.
 */
export const plainTextFallback = (markdown: string, maxChars = FALLBACK_TEXT_MAX_CHARS): string => {
  const unmarked = plainRows(neutralize(markdown))
    .replace(/^ {0,3}(?:`{3,}|~{3,}).*$/gm, '')
    .replace(/^ {0,3}#{1,6}\s+/gm, '')
    .replace(/^ {0,3}>\s?/gm, '')
    .replace(/(\*\*|__|~~|`)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  // Dropping the marks can join what they kept apart (`[ref]` + backtick + `:` becomes `[ref]:`):
  // the result is neutralised again.
  const plain = neutralize(unmarked);
  const short =
    plain.length <= maxChars
      ? plain
      : `${plain.slice(0, maxChars).replace(/\s+\S*$/, '') || plain.slice(0, maxChars)}…`;
  return escapeMrkdwn(short);
};

export interface MarkdownBlock {
  type: 'markdown';
  text: string;
}

export type { TableBlock } from './tables.js';
export type AnswerBlock = MarkdownBlock | TableBlock;

/**
 * The blocks of neutralised Markdown: the first table that fits Slack's limits as a `table` block in
 * its place (Slack takes one per message), the other tables as aligned monospace (`monospace`) or
 * as they were written.
 */
const layout = (safe: string, monospace: boolean): AnswerBlock[] => {
  const blocks: AnswerBlock[] = [];
  let md = '';
  let tabled = false;
  const flush = () => {
    if (md.trim() !== '') blocks.push({ type: 'markdown', text: md });
    md = '';
  };
  for (const segment of findTables(safe)) {
    if ('text' in segment) {
      md += segment.text;
      continue;
    }
    const block = tabled ? undefined : toTableBlock(segment.table);
    if (block) {
      flush();
      blocks.push(block);
      tabled = true;
    } else md += monospace ? toMonospace(segment.table) : segment.source;
  }
  flush();
  return blocks;
};

/** Characters of text in answer blocks: markdown, and table cells (both count toward msg_blocks_too_long). */
const blockChars = (blocks: AnswerBlock[]): number =>
  blocks.reduce(
    (n, b) =>
      n + (b.type === 'markdown' ? b.text.length : b.rows.flat().reduce((m, c) => m + c.text.length, 0)),
    0,
  );

/**
 * The message payload for one part of an answer: the Markdown in `markdown` blocks (rendered
 * natively by Slack, ≤ 12,000 characters), neutralised, its tables shaped (tables.ts), plus a plain
 * fallback `text`. Callers split longer answers with {@link splitForMessages} first. Padding tables
 * into columns adds characters: when that would pass the 12,000, they stay as written.
 */
export const toAnswerBlocks = (markdown: string): { text: string; blocks: AnswerBlock[] } => {
  const safe = neutralize(markdown);
  if (safe.length > MARKDOWN_BLOCK_MAX_CHARS) {
    throw new RangeError(`markdown block text is ${safe.length} characters; split it first`);
  }
  const text = plainTextFallback(safe) || ' ';
  const shaped = layout(safe, true);
  return { text, blocks: blockChars(shaped) <= MARKDOWN_BLOCK_MAX_CHARS ? shaped : layout(safe, false) };
};

/** The fence left open at the end of `markdown`, if any: its closer is needed before appending a note. */
export const openFenceAt = (markdown: string): { opener: string; closer: string } | undefined => {
  let fence: Fence | undefined;
  for (const line of markdown.split('\n')) fence = nextFence(line, fence);
  return fence ? { opener: fence.opener, closer: fence.closer } : undefined;
};

export interface FirstPart {
  /** The text for this message: a prefix of the input, plus a fence closer when cut inside code. */
  head: string;
  /** What remains, starting with the re-opened fence line when cut inside code. */
  tail: string;
  /** The fence line prepended to `tail` (with its newline), or ''. */
  reopened: string;
  /** Where the input was cut: `head` starts with `text.slice(0, cut)`, `tail` ends with `text.slice(cut)`. */
  cut: number;
}

const isSpace = (ch: string | undefined): boolean => ch !== undefined && /\s/.test(ch);
const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/**
 * Cuts the first message-sized part off `text`. Preference, latest position first: a paragraph
 * break outside code in the second half of the window, then a line break outside code there, then
 * any line break outside code, then a line break inside a code block (closed here, re-opened in the
 * tail), then after a space, and only for a single word longer than a message, a hard cut.
 *
 * `minCut` forces the cut at or after that index (text already streamed cannot be taken back); if it
 * leaves no room for a fence closer, the head may exceed `maxChars` by that closer's length.
 */
export const takeFirstPart = (text: string, maxChars: number, minCut = 0): FirstPart => {
  if (text.length <= maxChars) return { head: text, tail: '', reopened: '', cut: text.length };
  // Every part carries some text: a cut may not leave only whitespace before it.
  const floor = Math.max(1, minCut, text.search(/\S/) + 1);
  const half = Math.max(floor, Math.floor(maxChars / 2));

  interface Cut {
    at: number;
    fence: Fence | undefined;
    paragraph: boolean;
  }
  const cuts: Cut[] = [];
  let fence: Fence | undefined;
  let pos = 0;
  // The line that crosses the limit, for a cut inside it.
  let crossing: { start: number; fence: Fence | undefined } = { start: 0, fence: undefined };
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const end = nl === -1 ? text.length : nl + 1;
    const line = text.slice(pos, nl === -1 ? text.length : nl);
    const before = fence;
    fence = nextFence(line, fence);
    // The input is longer than maxChars, so the last line always crosses the limit.
    if (end > maxChars) {
      crossing = { start: pos, fence: before };
      break;
    }
    cuts.push({ at: end, fence, paragraph: !fence && line.trim() === '' });
    pos = end;
  }

  const fits = (c: Cut) => c.at >= floor && c.at + (c.fence ? c.fence.closer.length : 0) <= maxChars;
  const latest = (pred: (c: Cut) => boolean): Cut | undefined => {
    for (let i = cuts.length - 1; i >= 0; i--) {
      const c = cuts[i];
      if (c && fits(c) && pred(c)) return c;
    }
    return undefined;
  };
  const chosen =
    latest((c) => !c.fence && c.paragraph && c.at >= half) ??
    latest((c) => !c.fence && c.at >= half) ??
    latest((c) => !c.fence) ??
    latest((c) => Boolean(c.fence));
  if (chosen) return cutAt(text, chosen.at, chosen.fence, false);

  // No usable line break: cut inside the crossing line, next to a space if there is one.
  const inCode = crossing.fence;
  const budget = Math.max(floor, maxChars - (inCode ? inCode.closer.length + 1 : 0));
  let at = -1;
  for (let i = Math.min(budget, text.length - 1); i >= Math.max(floor, crossing.start + 1); i--) {
    if (isSpace(text[i - 1]) || isSpace(text[i])) {
      at = i;
      break;
    }
  }
  if (at === -1) {
    at = Math.min(budget, text.length);
    if (at > floor && isHighSurrogate(text.charCodeAt(at - 1))) at -= 1;
  }
  return cutAt(text, at, inCode, true);
};

const cutAt = (text: string, at: number, fence: Fence | undefined, midLine: boolean): FirstPart => {
  if (!fence) return { head: text.slice(0, at), tail: text.slice(at), reopened: '', cut: at };
  const reopened = `${fence.opener}\n`;
  return {
    head: `${text.slice(0, at)}${midLine ? '\n' : ''}${fence.closer}`,
    tail: `${reopened}${text.slice(at)}`,
    reopened,
    cut: at,
  };
};

/**
 * Splits a long answer into parts of at most `maxChars`, on paragraph or line boundaries, outside
 * code blocks when it can (a code block split anyway is closed and re-opened), never inside a word
 * unless one word is longer than a message. Joining the parts, minus the fence repairs, gives the
 * input back (a whitespace-only remainder is dropped), so nothing is cut off or lost.
 */
export const splitForMessages = (markdown: string, maxChars: number): string[] => {
  if (maxChars < 16) throw new RangeError('maxChars too small to split Markdown');
  const parts: string[] = [];
  let rest = markdown;
  let minCut = 0;
  while (rest.length > maxChars) {
    const { head, tail, reopened } = takeFirstPart(rest, maxChars, minCut);
    parts.push(head);
    rest = tail;
    // A re-opened fence line alone is not progress: the next cut must take at least one character more.
    minCut = reopened ? reopened.length + 1 : 0;
  }
  if (rest.trim() !== '' || parts.length === 0) parts.push(rest);
  return parts;
};
