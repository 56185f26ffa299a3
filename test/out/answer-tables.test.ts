import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../standins/slack/index.js';
import { answerIn, botReplies, type Stack, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();

/** A model answer with a table, mentions and a masked link in its cells. */
const ANSWER = [
  'Here is the stock:',
  '',
  '| Item | Qty | Owner |',
  '|:-----|----:|-------|',
  '| pen | 12 | <!here> |',
  '| note`\\|`book | 3 | [docs](https://evil.test) |',
  '',
  'Ask again for more.',
].join('\n');

const tableBlocks = (m: StoredMessage | undefined) =>
  (m?.blocks ?? []).filter((b) => (b as { type?: string }).type === 'table') as {
    rows: { type: string; text: string }[][];
    column_settings?: unknown[];
  }[];
const cells = (m: StoredMessage | undefined) => tableBlocks(m)[0]?.rows.map((r) => r.map((c) => c.text));

const EXPECTED_CELLS = [
  ['Item', 'Qty', 'Owner'],
  ['pen', '12', '@\u2060here'],
  ['note|book', '3', '\u2060docs (https://evil.test)'],
];

/** The answer message once it carries its feedback buttons (the last edit). */
const finished = (s: Stack, channel: string, ts: string) =>
  s.slack.waitFor(() => {
    const last = botReplies(s, channel, ts).at(-1);
    return last?.blocks?.some((b) => (b as { type?: string }).type === 'context_actions') ? last : undefined;
  }, 8_000);

describe('an answer with a Markdown table, as Slack receives it', () => {
  it('posted and edited in place: a table block between the text, cells plain and harmless', async () => {
    const s = await start({ env: { NATIVE_STREAMING: 'false' }, llm: { text: ANSWER } });
    const { ts } = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'what is in stock?' });
    const answer = await finished(s, 'C1', ts);
    expect(answer.blocks?.map((b) => (b as { type: string }).type)).toEqual([
      'markdown',
      'table',
      'markdown',
      'context_actions',
    ]);
    expect(cells(answer)).toEqual(EXPECTED_CELLS);
    expect(tableBlocks(answer)[0]?.column_settings).toEqual([{ align: 'left' }, { align: 'right' }]);
    expect(answer.text).toMatch(/^Here is the stock:\n[\s\S]*\| pen \| 12 \|[\s\S]*Ask again for more\.$/);
  });

  it('streamed: the table goes out whole as aligned monospace, never as raw pipes', async () => {
    // Slow enough that the answer starts streaming before it is complete.
    const s = await start({ llm: { text: ANSWER, tokensPerSecond: 30 } });
    const { ts } = await s.driver.dm({ user: 'U2', text: 'what is in stock?' });
    const channel = s.driver.dmChannel('U2');
    const [answer] = await waitForReplies(s, channel, ts);
    expect(s.slack.calls('chat.startStream').length).toBe(1);
    expect(answer?.text).toBe(
      [
        'Here is the stock:',
        '',
        '```',
        '| Item       | Qty | Owner                    |',
        '| ---------- | --: | ------------------------ |',
        '| pen        |  12 | @\u2060here                    |',
        '| note\\|book |   3 | \u2060docs (https://evil.test) |',
        '```',
        '',
        'Ask again for more.',
      ].join('\n'),
    );
    // No piece of the stream ever showed the Markdown delimiter row.
    const streamed = [...s.slack.calls('chat.startStream'), ...s.slack.calls('chat.appendStream')]
      .map((c) => String(c.params.markdown_text ?? ''))
      .join('');
    expect(streamed).not.toMatch(/\|:-----\|/);
  });

  it('ready before a stream could start: posted whole, with the table block', async () => {
    const s = await start({ llm: { text: ANSWER } });
    const { ts } = await s.driver.dm({ user: 'U4', text: 'what is in stock?' });
    const channel = s.driver.dmChannel('U4');
    const answer = await finished(s, channel, ts);
    expect(s.slack.calls('chat.startStream')).toHaveLength(0);
    expect(cells(answer)).toEqual(EXPECTED_CELLS);
  });

  it('answered in the background: the posted answer carries the table block', async () => {
    const s = await start({ llm: { text: ANSWER } });
    const { ts } = await s.driver.mention({ channel: 'C3', user: 'U3', text: 'later what is in stock?' });
    const [answer] = await s.slack.waitFor(() => {
      const a = answerIn(s, 'C3', ts);
      return a.length ? a : undefined;
    }, 8_000);
    expect(cells(answer)).toEqual(EXPECTED_CELLS);
  });
});
