/**
 * The block structure the neutraliser needs (neutralize.ts): where fenced code starts and ends,
 * as every reading of the Markdown agrees. Links do not render in fenced code, so text there is
 * left as written; anywhere in doubt is prose, where links are unmasked.
 */

/** An open fenced code block (CommonMark), and the indentation of its opener. */
export interface Fence {
  char: string;
  length: number;
  indent: number;
}

export interface BlockState {
  fence: Fence | undefined;
  /** Block structure became ambiguous: no fence is trusted from here on (all is prose). */
  distrust: boolean;
  /** Maybe inside raw HTML blocks, where a fence line is not a fence: those a blank line ends… */
  htmlUntilBlank: boolean;
  /** …and the end markers that others wait for (`-->`, `</script>`, …). */
  htmlEnds: RegExp[];
  /** The current line as sent (what Slack sees), while an HTML block waits for its end marker. */
  line: string;
}

export const initialBlockState = (): BlockState => ({
  fence: undefined,
  distrust: false,
  htmlUntilBlank: false,
  htmlEnds: [],
  line: '',
});

/**
 * Keeps the line as sent while an HTML block waits for its end marker: a replacement may have
 * taken a `>` out (`<!channel>` becomes `@channel`), and then the block goes on for Slack.
 */
export const noteLineText = (st: BlockState, raw: string): void => {
  if (st.htmlEnds.length > 0) st.line += raw;
};

/** At a line end: HTML blocks whose end marker the line held are over. */
export const endLine = (st: BlockState): void => {
  st.htmlEnds = st.htmlEnds.filter((end) => !end.test(st.line));
  st.line = '';
};

/** Columns of leading whitespace (a tab advances to the next multiple of 4). */
const indentOf = (line: string): number => {
  let col = 0;
  for (const ch of line) {
    if (ch === ' ') col += 1;
    else if (ch === '\t') col += 4 - (col % 4);
    else break;
  }
  return col;
};

const HTML_STARTS: [RegExp, RegExp | 'blank'][] = [
  [/^<(?:script|pre|style|textarea)(?:[\s>]|$)/i, /<\/(?:script|pre|style|textarea)>/i],
  [/^<!--/, /-->/],
  [/^<\?/, /\?>/],
  [/^<!\[CDATA\[/, /\]\]>/],
  [/^<![a-z]/i, />/],
  // Types 6 and 7, and anything else that starts with `<`: rewriting may turn it into a tag.
  [/^</, 'blank'],
];
// Container markers (block quotes, list items) before a line's content.
const CONTAINERS = /^(?:[ \t]*(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$)))*[ \t]*/;
const CONTAINERS_SO_FAR = /^(?:[ \t]*(?:>|[-+*]|\d{1,9}[.)]?))*[ \t]*$/;

/**
 * The block-level decision at the start of a line: does it open or close a fenced code block, or
 * start raw HTML? True (hold) until enough of the line is known, within `lookahead` characters.
 * A fence is trusted only where every reading of the text agrees: a fence line that raw HTML, a
 * list item or a block quote may give another meaning (or one longer than the lookahead) sets
 * `distrust`, and from then on all is prose. Guessing instead would risk a swap: a missed opener
 * makes its closer an opener, and prose is left as code.
 */
export const startLine = (
  st: BlockState,
  text: string,
  i: number,
  final: boolean,
  lookahead: number,
): boolean => {
  if (st.distrust) return false;
  const nl = text.indexOf('\n', i);
  const end = Math.min(nl === -1 ? text.length : nl, i + lookahead);
  const line = text.slice(i, end).replace(/\r$/, '');
  // `whole`: the line ends inside the lookahead; `known`: nothing more will be seen of it. A line
  // as long as the lookahead is never whole, with or without its end in sight, so that a stream
  // decides as the whole text does.
  const whole = end - i < lookahead && (nl === end || (final && end === text.length));
  const known = whole || end - i >= lookahead;
  const blank = /^[ \t]*$/.test(line);
  if (blank && !known) return true;
  const body = line.replace(CONTAINERS, '');
  // A fence marker, after any indentation and container markers (`- `, `> `, `1. `).
  const marker = /^(?:`{3,}|~{3,})/.exec(body)?.[0];
  // Wait while the line may still turn out to be (inside) a container, a fence line, or raw HTML.
  if (!known && (CONTAINERS_SO_FAR.test(line) || /^(?:[`~]{1,2}|<.{0,10})$/.test(body) || marker))
    return true;
  const indent = indentOf(line);
  const plain = body === line.slice(indent); // no container markers
  if (st.fence) {
    const f = st.fence;
    if (blank) return false;
    const closes =
      plain &&
      marker?.[0] === f.char &&
      marker.length >= f.length &&
      /^[ \t]*$/.test(body.slice(marker.length));
    // Less indented than its opener: a list item may have ended here, or not (a top-level fence).
    // A closer indented 4+ closes a fence in a list item but not at the top level (column 0).
    const unsure = indent < f.indent || (closes && (!whole || (indent > 3 && f.indent > 0)));
    if (unsure) st.distrust = true;
    if (unsure || (closes && indent <= 3)) st.fence = undefined;
    return false;
  }
  if (blank) {
    st.htmlUntilBlank = false;
    return false;
  }
  const inHtml = st.htmlUntilBlank || st.htmlEnds.length > 0;
  if (marker) {
    const info = body.slice(marker.length);
    const trusted = plain && indent <= 3 && !inHtml && (marker[0] === '~' || (whole && !info.includes('`')));
    if (trusted) {
      st.fence = { char: marker[0] ?? '`', length: marker.length, indent };
      return false;
    }
    // Inline code for everyone (a backtick in a whole info line), or a fence for some readings.
    if (!(plain && indent <= 3 && !inHtml && whole)) st.distrust = true;
  }
  // Every reading counts: a comment start inside what may be another HTML block still waits for `-->`.
  for (const [start, endMarker] of HTML_STARTS) {
    if (!start.test(body)) continue;
    if (endMarker === 'blank') st.htmlUntilBlank = true;
    else st.htmlEnds.push(endMarker);
    break;
  }
  return false;
};
