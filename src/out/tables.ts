import { type Fence, nextFence } from './fences.js';
import { neutralize } from './neutralize.js';

/**
 * Markdown tables as Slack shows them well. Slack documented its `markdown` block without tables
 * (2025: "not supported: … tables"), and streams' `markdown_text` follow their own rendering, so a
 * model's pipe table is shaped here: Slack's `table` block where it fits, else aligned columns in a
 * code block. Pure text work, no I/O. Tables are the GFM kind models write: rows that start with
 * `|`, a header row, then a delimiter row (`|---|:--:|`) with as many cells.
 */

export type Align = 'left' | 'center' | 'right';

export interface Table {
  header: string[];
  align: Align[];
  rows: string[][];
}

/** A `table` block cell (https://docs.slack.dev/reference/block-kit/blocks/table-block). */
export interface RawTextCell {
  type: 'raw_text';
  /** Slack refuses an empty cell: at least one character. */
  text: string;
}

export interface TableBlock {
  type: 'table';
  rows: RawTextCell[][];
  /** Objects only (Slack refuses a null entry); fewer than the columns leaves the rest default. */
  column_settings?: { align?: Align; is_wrapped?: boolean }[];
}

/**
 * Slack's table block: at most 100 rows (the header is one) of at most 20 cells, one table per
 * message, and at most 10,000 characters of cell text across a message.
 */
export const TABLE_MAX_ROWS = 100;
export const TABLE_MAX_COLUMNS = 20;
export const TABLE_MAX_CELL_CHARS = 10_000;
/** Columns with a cell longer than this wrap rather than stretch the table. */
const WRAP_AT = 40;

const ROW_LINE = /^ {0,3}\|/;
const DELIMITER_CELL = /^:?-+:?$/;

/** Could `line` be a table row (a header, the delimiter or a body row)? */
export const isRowLine = (line: string): boolean => ROW_LINE.test(line);

/** The cells of a row line: split on pipes that are not escaped, outer pipes dropped, trimmed. */
export const splitRow = (line: string): string[] => {
  const body = line
    .replace(/\r?\n$/, '')
    .trim()
    .replace(/^\|/, '');
  const cells: string[] = [];
  let cell = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\' && body[i + 1] === '|') {
      cell += '\\|';
      i++;
    } else if (ch === '|') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  // A trailing pipe closes the last cell; without one, what follows the last pipe is a cell.
  if (cell.trim() !== '' || !body.endsWith('|')) cells.push(cell);
  return cells.map((c) => c.trim());
};

/** The column alignments a delimiter row gives a header of `columns` cells, or undefined if it is none. */
export const delimiterAlign = (line: string, columns: number): Align[] | undefined => {
  if (!isRowLine(line)) return undefined;
  const cells = splitRow(line);
  if (cells.length !== columns || !cells.every((c) => DELIMITER_CELL.test(c))) return undefined;
  return cells.map((c) =>
    c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : 'left',
  );
};

/** A body row fitted to the header: missing cells are empty, extra ones dropped (as GFM does). */
export const fitRow = (cells: string[], columns: number): string[] =>
  Array.from({ length: columns }, (_, i) => cells[i] ?? '');

/** Table rows as plain text for a notification: cells joined by ` · `, delimiter rows dropped. */
export const plainRows = (markdown: string): string =>
  markdown.replace(/^ {0,3}\|.*$/gm, (line) => {
    const cells = splitRow(line);
    return cells.every((c) => DELIMITER_CELL.test(c)) ? '' : cells.join(' · ');
  });

export type Segment = { text: string } | { table: Table; source: string };

/** `markdown` cut into text and the tables in it (tables inside fenced code are text). */
export const findTables = (markdown: string): Segment[] => {
  const lines = markdown.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const segments: Segment[] = [];
  let text = '';
  let fence: Fence | undefined;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const header = !fence && isRowLine(line) ? splitRow(line) : undefined;
    const align = header && delimiterAlign(lines[i + 1] ?? '', header.length);
    if (!header || !align) {
      fence = nextFence(line, fence);
      text += line;
      i++;
      continue;
    }
    let end = i + 2;
    while (end < lines.length && isRowLine(lines[end] ?? '')) end++;
    const rows = lines.slice(i + 2, end).map((l) => fitRow(splitRow(l), header.length));
    if (text !== '') segments.push({ text });
    text = '';
    segments.push({ table: { header, align, rows }, source: lines.slice(i, end).join('') });
    i = end;
  }
  if (text !== '') segments.push({ text });
  return segments;
};

// Inline marks a raw_text cell would show as they are: `**bold**`, `__bold__`, `~~gone~~`, `*em*`, `code`.
const INLINE_MARKS =
  /(\*\*|__|~~)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=[^\s*])([^*]+?)(?<=\S)\*(?![\w*])|(`+)(.+?)\4/g;

/**
 * A cell's text as plain text: inline marks dropped, `\|` unescaped. Neutralised again, as dropping
 * marks can join what they kept apart; the whole answer was neutralised before (neutralize.ts).
 */
export const cellText = (cell: string): string =>
  neutralize(
    cell
      .replace(INLINE_MARKS, (_m, _d, marked, em, _t, code) => marked ?? em ?? code ?? '')
      .replace(/\\\|/g, '|')
      .replace(/<br\s*\/?>/gi, ' ')
      .trim(),
  );

const allCells = (t: Table): string[] => [...t.header, ...t.rows.flat()];

/** The table as Slack's `table` block, or undefined when it is past the block's limits. */
export const toTableBlock = (t: Table, maxCellChars = TABLE_MAX_CELL_CHARS): TableBlock | undefined => {
  if (t.header.length > TABLE_MAX_COLUMNS || t.rows.length + 1 > TABLE_MAX_ROWS) return undefined;
  const rows = [t.header, ...t.rows].map((r) => r.map(cellText));
  if (rows.flat().reduce((n, c) => n + c.length, 0) > maxCellChars) return undefined;
  const settings = t.align.map((align, col) => ({
    align,
    ...(rows.some((r) => (r[col] ?? '').length > WRAP_AT) ? { is_wrapped: true } : {}),
  }));
  // Trailing default columns need no settings; the rest are listed in order, as objects.
  let last = settings.length;
  while (last > 0 && settings[last - 1]?.align === 'left' && !settings[last - 1]?.is_wrapped) last--;
  return {
    type: 'table',
    rows: rows.map((r) => r.map((text) => ({ type: 'raw_text', text: text === '' ? ' ' : text }))),
    ...(last > 0 ? { column_settings: settings.slice(0, last) } : {}),
  };
};

/** Characters of cell text the table block of `t` holds (what counts toward the 10,000). */
export const tableCellChars = (t: Table): number => allCells(t).reduce((n, c) => n + cellText(c).length, 0);

// East Asian wide and fullwidth characters and emoji take two columns in a monospaced font;
// combining marks, variation selectors and zero-width characters (the word joiners neutralize.ts
// adds) take none.
const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1FAFF}\u{20000}-\u{3FFFD}]/u;
const ZERO = /[\p{M}\u200B-\u200F\u2060-\u2064\uFEFF]/u;

/** Columns `s` takes in a monospaced font. */
export const displayWidth = (s: string): number => {
  let w = 0;
  for (const ch of s) w += ZERO.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return w;
};

const pad = (s: string, width: number, align: Align): string => {
  const gap = Math.max(0, width - displayWidth(s));
  if (align === 'right') return ' '.repeat(gap) + s;
  if (align === 'center') return ' '.repeat(Math.floor(gap / 2)) + s + ' '.repeat(Math.ceil(gap / 2));
  return s + ' '.repeat(gap);
};

/**
 * The table as aligned columns in a fenced code block: every line starts with `|`, so no cell can
 * close the fence. A pipe inside a cell stays escaped (`\|`) to keep the columns apart.
 */
export const toMonospace = (t: Table): string => {
  const rows = [t.header, ...t.rows].map((r) => r.map((c) => cellText(c).replace(/\|/g, '\\|')));
  const widths = t.header.map((_, col) => Math.max(3, ...rows.map((r) => displayWidth(r[col] ?? ''))));
  const line = (cells: string[]) =>
    `| ${cells.map((c, col) => pad(c, widths[col] ?? 0, t.align[col] ?? 'left')).join(' | ')} |`;
  const rule = widths.map((w, col) => {
    const a = t.align[col];
    const dashes = '-'.repeat(w);
    return a === 'center' ? `:${dashes.slice(2)}:` : a === 'right' ? `${dashes.slice(1)}:` : dashes;
  });
  const [head, ...body] = rows;
  return ['```', line(head ?? []), `| ${rule.join(' | ')} |`, ...body.map(line), '```', ''].join('\n');
};

/**
 * A `table` block read back as the Markdown table it was made from (alignment aside), so that a
 * thread read later gives the model its own table again.
 */
export const tableBlockMarkdown = (block: { rows?: unknown }): string => {
  const rows = Array.isArray(block.rows) ? block.rows.filter(Array.isArray) : [];
  const cell = (c: unknown) => {
    const text = typeof c === 'object' && c !== null ? (c as { text?: unknown }).text : undefined;
    return typeof text === 'string' ? text.trim().replace(/\|/g, '\\|') : '';
  };
  const line = (r: unknown[]) => `| ${r.map(cell).join(' | ')} |`;
  const [head, ...body] = rows;
  if (!head) return '';
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...body.map(line)].join('\n');
};
