/** CommonMark fenced code blocks, line by line: shared by message splitting and table shaping. */

export interface Fence {
  /** The opening line, e.g. "```ts", repeated at the start of the next part when a split lands inside. */
  opener: string;
  closer: string;
  char: '`' | '~';
  length: number;
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** The fence state after `line`, given the state before it (CommonMark fenced code blocks). */
export const nextFence = (line: string, open: Fence | undefined): Fence | undefined => {
  const m = FENCE_LINE.exec(line.replace(/\r?\n?$/, ''));
  if (!m) return open;
  const marker = m[1] ?? '';
  const rest = m[2] ?? '';
  const char = marker[0] === '~' ? '~' : '`';
  if (open) {
    const closes = char === open.char && marker.length >= open.length && rest.trim() === '';
    return closes ? undefined : open;
  }
  // A backtick fence's info string may not contain backticks.
  if (char === '`' && rest.includes('`')) return undefined;
  return { opener: line.replace(/\r?\n?$/, '').trimStart(), closer: marker, char, length: marker.length };
};
