import { type Fence, nextFence } from './fences.js';
import { delimiterAlign, fitRow, isRowLine, splitRow, type Table, toMonospace } from './tables.js';

/**
 * Tables in a native stream. A stream carries Markdown text only (appendStream's `markdown_text`),
 * and what it showed stays: chat.stopStream adds blocks after the text but cannot replace it, and an
 * edit afterwards would cost a chat.update per answer (the scarcest budget) and reflow what the user
 * is reading. So a streamed table goes out once, whole, as aligned monospace (tables.ts): its rows
 * are held back until the table ends (column widths need every row), and every other line passes
 * through as it arrives. A long table goes out in pieces of TABLE_HOLD_MAX_CHARS, each under its header.
 */

/** Most table text held back before a piece of it goes out. */
export const TABLE_HOLD_MAX_CHARS = 4_000;

export interface TableStreamer {
  /** Adds text (neutralised Markdown); returns what can go out now. */
  push(text: string): string;
  /** Releases what was held back. */
  end(): string;
}

interface Held {
  /** A row line that may be a table's header, waiting for the next line to tell. */
  candidate?: string;
  /** The table being collected, and the characters of its rows so far. */
  table?: Table;
  chars: number;
}

export const createTableStreamer = (maxHeld = TABLE_HOLD_MAX_CHARS): TableStreamer => {
  let fence: Fence | undefined;
  // The line being received: `line` so far, of which `sent` characters went out already.
  let line = '';
  let sent = 0;
  let held: Held = { chars: 0 };

  /** What is held goes out: a table as monospace, a lone candidate as it was written. */
  const release = (): string => {
    const out = (held.table ? toMonospace(held.table) : '') + (held.candidate ?? '');
    held = { chars: 0 };
    return out;
  };

  /** A whole line (with its newline, unless the text ended) that was held back. */
  const complete = (whole: string): string => {
    if (!fence && isRowLine(whole)) {
      const { table, candidate } = held;
      if (table) {
        table.rows.push(fitRow(splitRow(whole), table.header.length));
        held.chars += whole.length;
        if (held.chars <= maxHeld) return '';
        const piece = toMonospace(table);
        held = { chars: 0, table: { ...table, rows: [] } };
        return piece;
      }
      if (candidate !== undefined) {
        const header = splitRow(candidate);
        const align = delimiterAlign(whole, header.length);
        if (align) {
          held = { chars: 0, table: { header, align, rows: [] } };
          return '';
        }
      }
      held = { chars: 0, candidate: whole };
      return candidate ?? '';
    }
    // Any other line ends a table.
    const out = release() + whole;
    fence = nextFence(whole, fence);
    return out;
  };

  /** Is the line so far (nothing of it sent) one that may belong to a table, so it waits? */
  const mayBeRow = (partial: string): boolean => !fence && (/^ {0,3}$/.test(partial) || isRowLine(partial));

  return {
    push(text) {
      let out = '';
      let rest = text;
      for (let nl = rest.indexOf('\n'); nl !== -1; nl = rest.indexOf('\n')) {
        const whole = line + rest.slice(0, nl + 1);
        rest = rest.slice(nl + 1);
        if (sent > 0) {
          out += whole.slice(sent);
          fence = nextFence(whole, fence);
        } else out += complete(whole);
        line = '';
        sent = 0;
      }
      line += rest;
      if (line !== '' && (sent > 0 || !mayBeRow(line))) {
        if (sent === 0) out += release();
        out += line.slice(sent);
        sent = line.length;
      }
      return out;
    },
    end() {
      const out = (sent > 0 ? line.slice(sent) : line === '' ? '' : complete(line)) + release();
      line = '';
      sent = 0;
      return out;
    },
  };
};
