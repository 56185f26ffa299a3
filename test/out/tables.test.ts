import { describe, expect, it } from 'vitest';
import { type AnswerBlock, plainTextFallback, toAnswerBlocks, WORD_JOINER } from '../../src/out/format.js';
import { displayWidth, findTables, type TableBlock, toMonospace } from '../../src/out/tables.js';
import { blockKitErrors } from '../../standins/slack/block-kit.js';

const WJ = WORD_JOINER;
const table = (header: string[], rows: string[][], delimiter = header.map(() => '---')) =>
  [header, delimiter, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
const tableOf = (blocks: AnswerBlock[]) => blocks.find((b): b is TableBlock => b.type === 'table');
const cells = (t: TableBlock | undefined) => t?.rows.map((r) => r.map((c) => c.text));
const markdownOf = (blocks: AnswerBlock[]) =>
  blocks.flatMap((b) => (b.type === 'markdown' ? [b.text] : [])).join('');
/** The lines of the code blocks in `md`. */
const codeLines = (md: string) =>
  [...md.matchAll(/```\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.trimEnd().split('\n'));

describe('a Markdown table in an answer', () => {
  it('becomes a table block in its place, between the text around it', () => {
    const md = `Fruit we have:\n\n${table(
      ['Name', 'Count'],
      [
        ['Apple', '3'],
        ['Pear', '12'],
      ],
    )}\n\nThat is all.`;
    const { blocks } = toAnswerBlocks(md);
    expect(blocks.map((b) => b.type)).toEqual(['markdown', 'table', 'markdown']);
    expect(blocks[0]).toEqual({ type: 'markdown', text: 'Fruit we have:\n\n' });
    expect(cells(tableOf(blocks))).toEqual([
      ['Name', 'Count'],
      ['Apple', '3'],
      ['Pear', '12'],
    ]);
    expect(blocks[2]).toEqual({ type: 'markdown', text: '\nThat is all.' });
    expect(blockKitErrors({ blocks })).toEqual([]);
  });

  it('keeps the column alignment of the delimiter row, as objects Slack accepts', () => {
    const md = table(
      ['Left', 'Centre', 'Right', 'Plain'],
      [['a', 'b', 'c', 'd']],
      [':--', ':-:', '--:', '---'],
    );
    const block = tableOf(toAnswerBlocks(md).blocks);
    // Trailing default columns are left out; those before a set one are listed explicitly.
    expect(block?.column_settings).toEqual([{ align: 'left' }, { align: 'center' }, { align: 'right' }]);
    expect(tableOf(toAnswerBlocks(table(['a', 'b'], [['1', '2']])).blocks)?.column_settings).toBeUndefined();
  });

  it('wraps a column with long cells rather than stretching the table', () => {
    const long = 'a sentence that goes on for quite a while, longer than a column should be';
    const block = tableOf(toAnswerBlocks(table(['Id', 'Note'], [['1', long]])).blocks);
    expect(block?.column_settings).toEqual([{ align: 'left' }, { align: 'left', is_wrapped: true }]);
  });

  it('shows cells as plain text: escaped pipes, code spans and emphasis unwrapped', () => {
    const md = table(
      ['Expr', 'Means'],
      [
        ['`a \\| b`', '**either** a or *b*'],
        ['`x`', '~~old~~ new'],
      ],
    );
    expect(cells(tableOf(toAnswerBlocks(md).blocks))).toEqual([
      ['Expr', 'Means'],
      ['a | b', 'either a or b'],
      ['x', 'old new'],
    ]);
  });

  it('neutralises cells: no mention pings and no link hides its target', () => {
    const md = table(
      ['Who', 'Where'],
      [
        ['<!here> and @channel', '[docs](https://evil.test)'],
        ['<!subteam^S1|@eng>', '`[x]`(https://b.test)'],
      ],
    );
    const [, ...rows] = cells(tableOf(toAnswerBlocks(md).blocks)) ?? [];
    expect(rows).toEqual([
      [`@${WJ}here and @${WJ}channel`, `${WJ}docs (https://evil.test)`],
      [`@${WJ}eng`, `${WJ}x (https://b.test)`],
    ]);
  });

  it('fits short and long rows to the header, and gives empty cells a space (Slack refuses empty ones)', () => {
    const md = '| a | b | c |\n|---|---|---|\n| 1 |\n| 1 | 2 | 3 | 4 |\n|  | x | |';
    const block = tableOf(toAnswerBlocks(md).blocks);
    expect(cells(block)).toEqual([
      ['a', 'b', 'c'],
      ['1', ' ', ' '],
      ['1', '2', '3'],
      [' ', 'x', ' '],
    ]);
    expect(blockKitErrors({ blocks: [block] })).toEqual([]);
  });

  it('is left alone inside a code block, and without a delimiter row it is no table', () => {
    const fenced = `\`\`\`\n${table(['a', 'b'], [['1', '2']])}\n\`\`\``;
    expect(toAnswerBlocks(fenced).blocks).toEqual([{ type: 'markdown', text: fenced }]);
    const loose = '| not | a table |\n| just | pipes |';
    expect(toAnswerBlocks(loose).blocks).toEqual([{ type: 'markdown', text: loose }]);
  });

  it('names its rows in the notification text, without the delimiter row', () => {
    expect(plainTextFallback(`Stock:\n${table(['Name', 'Count'], [['Apple', '3']])}`)).toBe(
      'Stock: Name · Count Apple · 3',
    );
  });
});

describe('a table past the table block’s limits', () => {
  const wide = Array.from({ length: 21 }, (_, i) => `c${i}`);

  it('with more than 20 columns goes out as aligned monospace', () => {
    const { blocks } = toAnswerBlocks(table(wide, [wide.map(() => 'x')]));
    expect(tableOf(blocks)).toBeUndefined();
    const [head, rule, row] = codeLines(markdownOf(blocks));
    expect(head).toBe(`| ${wide.map((c) => c.padEnd(3)).join(' | ')} |`);
    expect(rule).toBe(`| ${wide.map(() => '---').join(' | ')} |`);
    expect(row?.split(' | ').length).toBe(21);
    expect(blockKitErrors({ blocks })).toEqual([]);
  });

  it('with more than 100 rows (the header is one) goes out as monospace; 100 fit', () => {
    const rows = (n: number) => Array.from({ length: n }, (_, i) => [String(i), 'x']);
    expect(tableOf(toAnswerBlocks(table(['n', 'v'], rows(99))).blocks)?.rows).toHaveLength(100);
    const { blocks } = toAnswerBlocks(table(['n', 'v'], rows(100)));
    expect(tableOf(blocks)).toBeUndefined();
    expect(codeLines(markdownOf(blocks))).toHaveLength(102);
  });

  it('with more than 10,000 characters of cells goes out as monospace', () => {
    const rows = Array.from({ length: 12 }, (_, i) => [String(i), 'y'.repeat(850)]);
    const { blocks } = toAnswerBlocks(table(['n', 'text'], rows));
    expect(tableOf(blocks)).toBeUndefined();
    expect(blockKitErrors({ blocks })).toEqual([]);
  });

  it('stays as written when padding it into columns would pass the markdown block’s 12,000', () => {
    // One long cell in a narrow column: padding repeats its width on every row.
    const rows = Array.from({ length: 25 }, (_, i) => [i === 0 ? 'z'.repeat(300) : String(i), 'v']);
    const md = `${table(['a', 'b'], [['1', '2']])}\n\n${table(['k', 'v'], rows)}\n\n${'w '.repeat(2_500)}`;
    const { blocks } = toAnswerBlocks(md);
    expect(blocks.some((b) => b.type === 'markdown' && b.text.includes('| k | v |'))).toBe(true);
    expect(blockKitErrors({ blocks })).toEqual([]);
  });

  it('is the second one in a message: Slack takes one table block, the others are monospace', () => {
    const md = `${table(['a', 'b'], [['1', '2']])}\n\nand\n\n${table(['c', 'd'], [['3', '4']])}`;
    const { blocks } = toAnswerBlocks(md);
    expect(blocks.filter((b) => b.type === 'table')).toHaveLength(1);
    expect(codeLines(markdownOf(blocks))).toEqual(['| c   | d   |', '| --- | --- |', '| 3   | 4   |']);
    expect(blockKitErrors({ blocks })).toEqual([]);
  });
});

describe('monospace tables', () => {
  const parsed = (md: string) => {
    const t = findTables(md).find((s) => 'table' in s);
    if (!t || !('table' in t)) throw new Error('no table');
    return t.table;
  };

  it('align columns left, centre and right, and keep cell pipes escaped', () => {
    const md = table(
      ['Item', 'Qty', 'Note'],
      [
        ['pen', '12', 'a \\| b'],
        ['notebook', '3', ''],
      ],
      ['---', '--:', ':-:'],
    );
    expect(toMonospace(parsed(md))).toBe(
      [
        '```',
        '| Item     | Qty |  Note  |',
        '| -------- | --: | :----: |',
        '| pen      |  12 | a \\| b |',
        '| notebook |   3 |        |',
        '```',
        '',
      ].join('\n'),
    );
  });

  it('count wide characters as two columns and word joiners as none', () => {
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth(`@${WJ}here`)).toBe(5);
    const lines = toMonospace(parsed(table(['名前', 'x'], [['ab', 'y']]))).split('\n');
    expect(lines[1]).toBe('| 名前 | x   |');
    expect(lines[3]).toBe('| ab   | y   |');
  });
});
