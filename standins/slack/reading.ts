import { PLACEHOLDER_TEXT } from '../../src/out/poster.js';
import { isObject } from '../http.js';
import type { SlackMessage, StoredMessage } from './types.js';

/** Reading the stand-in's store as a Slack user reads the bot's replies (tests, demo and bench alike). */

interface Store {
  readonly botUserId: string;
  readonly botId: string;
  messages(channel: string, threadTs?: string): StoredMessage[];
}

const isMarkdownBlock = (b: unknown): b is { type: 'markdown'; text: string } =>
  typeof b === 'object' &&
  b !== null &&
  (b as { type?: unknown }).type === 'markdown' &&
  typeof (b as { text?: unknown }).text === 'string';

/** A `table` block as a reader takes it in: one line a row, cells between pipes. */
const tableText = (b: unknown): string | undefined => {
  if (!isObject(b) || b.type !== 'table' || !Array.isArray(b.rows)) return undefined;
  const cell = (c: unknown) => (isObject(c) && typeof c.text === 'string' ? c.text : '');
  return b.rows.map((r) => `| ${(Array.isArray(r) ? r : []).map(cell).join(' | ')} |`).join('\n');
};

/**
 * What a message shows: its `markdown` blocks (where answers live) and `table` blocks, in order,
 * when it has them, else its text.
 */
export const shownText = (m: SlackMessage): string => {
  const shownBlocks = (m.blocks ?? []).flatMap((b) => {
    const text = isMarkdownBlock(b) ? b.text : tableText(b);
    return text === undefined ? [] : [text];
  });
  return shownBlocks.length ? shownBlocks.join('\n') : m.text;
};

/** The message with `text` replaced by what it shows. */
export const shown = (m: StoredMessage): StoredMessage => ({ ...m, text: shownText(m) });

/** The bot's messages in a thread, root excluded, in order. */
export const botReplies = (slack: Store, channel: string, threadTs: string): StoredMessage[] =>
  slack
    .messages(channel, threadTs)
    .filter((m) => m.ts !== threadTs && (m.user === slack.botUserId || m.bot_id === slack.botId));

/** Finished: not a stream still open, nor the placeholder the bot later edits into its answer. */
export const settled = (m: StoredMessage): boolean =>
  m.stream !== 'streaming' && shownText(m) !== PLACEHOLDER_TEXT;

/** The `feedback_buttons` element of a message (in its `context_actions` block), with its block id. */
export const feedbackButtonsOf = (
  m: Pick<SlackMessage, 'blocks'>,
): { blockId?: string; element: Record<string, unknown> } | undefined => {
  for (const block of m.blocks ?? []) {
    if (!isObject(block) || block.type !== 'context_actions' || !Array.isArray(block.elements)) continue;
    const element = block.elements.find((e) => isObject(e) && e.type === 'feedback_buttons');
    if (isObject(element))
      return { ...(typeof block.block_id === 'string' ? { blockId: block.block_id } : {}), element };
  }
  return undefined;
};
