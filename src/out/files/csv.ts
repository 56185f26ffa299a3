/**
 * CSV and TSV as a compact table for the prompt: one line per row, cells separated by ` | `, the
 * header first, at most `maxRows` data rows and a line saying how many were left out. Quoted cells
 * (RFC 4180: `"a, b"`, `""` for a quote, line breaks inside quotes) are read as one cell.
 */

/** Rows of `text`, split on `delimiter`; stops after `limit` rows (the rest is only counted). */
export const parseDelimited = (
  text: string,
  delimiter: ',' | '\t' | ';',
  limit: number,
): { rows: string[][]; total: number } => {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let total = 0;
  // Past the limit cells are not kept, only rows counted: `filled` says the row had anything.
  let filled = false;
  const endRow = () => {
    row.push(cell);
    cell = '';
    const had = filled;
    filled = false;
    if (had) {
      total++;
      if (rows.length < limit) rows.push(row);
    }
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\n' && c !== '\r') filled = true;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        if (rows.length < limit) cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else if (rows.length < limit) cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === delimiter) {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      if (filled || row.length) endRow();
      else row = [];
    } else if (c !== '\r' && rows.length < limit) cell += c;
  }
  if (filled) endRow();
  return { rows, total };
};

/** The delimiter a header line uses most: tab, semicolon or comma. */
export const guessDelimiter = (text: string, hint?: string): ',' | '\t' | ';' => {
  if (hint === 'tsv') return '\t';
  const first = text.slice(0, text.indexOf('\n') >>> 0);
  const count = (d: string) => first.split(d).length - 1;
  if (count('\t') > count(',') && count('\t') >= count(';')) return '\t';
  return count(';') > count(',') ? ';' : ',';
};

const MAX_CELL_CHARS = 200;

const cellText = (c: string) => {
  const flat = c.replace(/\s+/g, ' ').trim().replaceAll('|', '\\|');
  return flat.length > MAX_CELL_CHARS ? `${flat.slice(0, MAX_CELL_CHARS)}…` : flat;
};

/** The table as lines: header, then up to `maxRows` rows, then what was left out. */
export const renderTable = (text: string, opts: { maxRows: number; hint?: string }): string => {
  const { rows, total } = parseDelimited(text, guessDelimiter(text, opts.hint), opts.maxRows + 1);
  const lines = rows.map((r) => r.map(cellText).join(' | '));
  const dataRows = Math.max(0, total - 1);
  const shown = Math.max(0, rows.length - 1);
  const head = `(${dataRows} row${dataRows === 1 ? '' : 's'}${rows[0] ? `, ${rows[0].length} columns` : ''})`;
  const left = dataRows - shown;
  return [head, ...lines, ...(left > 0 ? [`… ${left} more row${left === 1 ? '' : 's'} not shown`] : [])].join(
    '\n',
  );
};
