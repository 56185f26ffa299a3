/**
 * Makes model and user text safe to post: no special mention (`<!channel>`, `<!here>`, a user group,
 * plain `@here`) pings anyone, and no link hides its target (`[label](url)`, `![alt](url)`, a
 * reference definition, Slack's `<url|label>`). The same scanner serves whole texts and streams: a
 * stream is cut only where the next characters cannot change what was sent, so pieces that Slack
 * joins (appendStream) carry nothing live whatever the chunking, and hold back at most
 * NEUTRALIZE_WINDOW characters. A whole text and the same text streamed in any pieces come out equal.
 *
 * Fenced code is left as it is (links do not render there); mentions and `<url|label>` are
 * neutralised everywhere, as Slack may parse those anywhere.
 */

import { type BlockState, endLine, initialBlockState, noteLineText, startLine } from './neutralize-blocks.js';

/** U+2060 WORD JOINER: invisible, and enough to stop Slack from reading `@channel` or `](` as syntax. */
export const WORD_JOINER = '\u2060';
const WJ = WORD_JOINER;
/** Replaces the `<` of a mention or link opener left unclosed: Slack parses no `<` it cannot see. */
const LOOKALIKE_LT = '\u2039';

/** How far ahead of a token the scanner looks to decide it; the most a stream holds back. */
export const NEUTRALIZE_WINDOW = 512;

const BROADCASTS = new Set(['channel', 'here', 'everyone']);
// Slack's special commands (`<!here>`, `<!subteam^S1|@eng>`, `<!date^…^link|text>` links its text).
const SPECIAL = /^!(channel|here|everyone|group|subteam\^|date\^)/i;
const SPECIAL_NAMES = ['channel', 'here', 'everyone', 'group', 'subteam^', 'date^'];
// A `<…|label>` whose target Slack may open: a scheme, `www.`, or a bare domain.
const LINK_TARGET = /^(?:[a-z][a-z0-9+.-]*:|www\.|[\w-]+(?:\.[\w-]+)+(?:[/?#\s]|$))/i;
// A target still being written that may turn into one (`htt`, `example`).
const LINK_TARGET_SO_FAR = /^[\w.+-]*$/;
// `[label](dest "title")` / `![alt](src)`; the label holds no brackets, so nested links unmask inside out.
const INLINE_LINK =
  /!?\[([^[\]\n]*)\]\(\s*(<[^<>\n]*>|(?:[^\s()]|\([^\s()]*\))*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)/y;
// Every prefix of an INLINE_LINK match; past `](` only the closing `)` decides.
const INLINE_LINK_PREFIX = /^!?(?:\[[^[\]\n]*(?:\](?:\([\s\S]*)?)?)?$/;
const PROSE_SPECIAL = /[<@`[\]!\\\n]/g;
const CODE_SPECIAL = /[<@\n]/g;

interface State extends BlockState {
  lineStart: boolean;
  /** Length of the backtick run of an open inline code span, or 0. */
  span: number;
  /** The raw character before the scan position. */
  prev: string;
}

const initialState = (): State => ({ ...initialBlockState(), lineStart: true, span: 0, prev: '\n' });

const HOLD = Symbol('hold');
type Step = { out: string; next: number } | typeof HOLD;

/** Is `word` the start of a broadcast name (so `@` + it may still become one)? */
const broadcastPrefix = (word: string): boolean =>
  [...BROADCASTS].some((b) => b.startsWith(word.toLowerCase()));

/** `@here`, `@channel`, `@everyone` as words (not inside e-mail addresses): a word joiner after `@`. */
const atWord = (st: State, text: string, i: number, final: boolean): Step => {
  const prev = i > 0 ? (text[i - 1] ?? '') : st.prev;
  if (/\w/.test(prev)) return { out: '@', next: i + 1 };
  const word = /^\w*/.exec(text.slice(i + 1, i + 1 + NEUTRALIZE_WINDOW))?.[0] ?? '';
  const atEnd = i + 1 + word.length >= text.length;
  if (atEnd && !final && broadcastPrefix(word)) return HOLD;
  const live = BROADCASTS.has(word.toLowerCase());
  return { out: live ? `@${WJ}${word}` : `@${word}`, next: i + 1 + word.length };
};

const targetOf = (content: string): string => (content.split('|')[0] ?? '').trimStart();

/** Is `<` + `content` a mention or link opener, whatever follows? */
const isOpener = (content: string): boolean => SPECIAL.test(content) || LINK_TARGET.test(targetOf(content));

/** Could `<` + `content` (not closed yet) still grow into a mention or a masked link? */
const mayBecomeOpener = (content: string): boolean => {
  if (content.startsWith('!')) {
    const rest = content.slice(1).toLowerCase();
    return SPECIAL_NAMES.some((n) => n.startsWith(rest) || rest.startsWith(n));
  }
  const target = targetOf(content);
  return LINK_TARGET.test(target) || (!content.includes('|') && LINK_TARGET_SO_FAR.test(target));
};

/**
 * What a complete `<content>` becomes, or undefined when it is harmless as it is. Every replacement
 * starts with a word joiner (or `@`), so it can never complete an opener before it: `<ht` followed
 * by a rewritten `tps://…` stays broken. That is what lets each `<` be judged on the raw text.
 */
const angleToken = (content: string): string | undefined => {
  const special = SPECIAL.exec(content);
  if (special) {
    const name = (special[1] ?? '').toLowerCase();
    const label = content.includes('|') ? content.slice(content.indexOf('|') + 1) : '';
    if (name === 'subteam^') return `@${WJ}${neutralize(label.replace(/^@/, '').trim() || 'team')}`;
    if (name === 'date^') return `${WJ}${neutralize(label || 'a date')}`;
    return `@${WJ}${special[1]}`;
  }
  const pipe = content.indexOf('|');
  if (pipe === -1 || /^[#@!]/.test(content)) return undefined;
  const target = targetOf(content).trimEnd();
  if (!LINK_TARGET.test(target)) return undefined;
  return unmasked(content.slice(pipe + 1), target);
};

/** `label (target)`: the target in plain sight. Both are neutralised again (they are arbitrary text). */
const unmasked = (label: string, target: string): string => {
  const t = target.replace(/^<(.*)>$/, '$1');
  const l = label.trim();
  const text = t === '' ? l : l === '' || l === t ? t : `${l} (${t})`;
  // The word joiner also keeps the text from starting a fence or an HTML block at a line start.
  return `${WJ}${neutralize(text)}`;
};

const angle = (text: string, i: number, final: boolean): Step => {
  const w = text.slice(i, i + NEUTRALIZE_WINDOW);
  const closed = /^<([^<>\n]*)>/.exec(w);
  if (closed) {
    const replaced = angleToken(closed[1] ?? '');
    return replaced === undefined ? { out: '<', next: i + 1 } : { out: replaced, next: i + closed[0].length };
  }
  // Not closed on this line (yet): another `<`, or the window, ends what this `<` can enclose.
  // Line ends do not: nothing says Slack's `<…|label>` cannot span lines.
  const stop = w.slice(1).indexOf('<');
  const content = stop === -1 ? w.slice(1) : w.slice(1, 1 + stop);
  if (stop === -1 && w.length < NEUTRALIZE_WINDOW && !final && mayBecomeOpener(content)) return HOLD;
  // An opener left unclosed is broken itself, so nothing after it (a `|label>` past the window, or
  // in a later chunk) can complete it.
  return { out: isOpener(content) ? LOOKALIKE_LT : '<', next: i + 1 };
};

/** `]` before `(` or `:` would make a link or a reference definition: a word joiner between. */
const closeBracket = (text: string, i: number, final: boolean): Step => {
  const next = text[i + 1];
  if (next === undefined) return final ? { out: ']', next: i + 1 } : HOLD;
  return { out: next === '(' || next === ':' ? `]${WJ}` : ']', next: i + 1 };
};

const inlineLink = (text: string, i: number, final: boolean): Step => {
  const w = text.slice(i, i + NEUTRALIZE_WINDOW);
  INLINE_LINK.lastIndex = 0;
  const m = INLINE_LINK.exec(w);
  if (m) return { out: unmasked(m[1] ?? '', m[2] ?? ''), next: i + m[0].length };
  if (!final && w.length < NEUTRALIZE_WINDOW && INLINE_LINK_PREFIX.test(w)) return HOLD;
  return { out: text[i] ?? '', next: i + 1 };
};

const backticks = (st: State, text: string, i: number, final: boolean): Step => {
  const run = /^`+/.exec(text.slice(i))?.[0] ?? '`';
  const next = i + run.length;
  if (st.span) {
    if (run.length === st.span) st.span = 0;
    return { out: run, next };
  }
  const nl = text.indexOf('\n', next);
  const end = Math.min(nl === -1 ? text.length : nl, i + NEUTRALIZE_WINDOW);
  const closer = new RegExp(`(?<!\`)\`{${run.length}}(?!\`)`).exec(text.slice(next, end));
  // Until the line or the window ends, a closer may still arrive, or the one seen may still grow.
  // (Presentation only: inside a span links are broken rather than rewritten.)
  const open = !final && nl === -1 && end - i < NEUTRALIZE_WINDOW;
  if (open && (!closer || next + closer.index + closer[0].length >= text.length)) return HOLD;
  if (closer) st.span = run.length;
  return { out: run, next };
};

const inline = (st: State, text: string, i: number, final: boolean): Step => {
  const ch = text[i];
  if (ch === '<') return angle(text, i, final);
  if (ch === '@') return atWord(st, text, i, final);
  if (st.fence) return { out: ch ?? '', next: i + 1 };
  if (ch === '`') return backticks(st, text, i, final);
  if (ch === ']') return closeBracket(text, i, final);
  if (st.span) return { out: ch ?? '', next: i + 1 };
  // An escaped backtick, bracket or `!` opens nothing; `\\` escapes the backslash itself.
  if (ch === '\\') {
    const next = text[i + 1];
    if (next === undefined && !final) return HOLD;
    return next !== undefined && '`[!\\'.includes(next)
      ? { out: `\\${next}`, next: i + 2 }
      : { out: '\\', next: i + 1 };
  }
  if (ch === '[') return inlineLink(text, i, final);
  if (ch === '!') {
    if (i + 1 >= text.length && !final) return HOLD;
    return text[i + 1] === '[' ? inlineLink(text, i, final) : { out: '!', next: i + 1 };
  }
  return { out: ch ?? '', next: i + 1 };
};

/** Scans from the start of `text`; stops (when not `final`) where the rest could still change. */
const scan = (st: State, text: string, final: boolean): { out: string; used: number } => {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (st.lineStart) {
      if (startLine(st, text, i, final, NEUTRALIZE_WINDOW)) break;
      st.lineStart = false;
    }
    const special = st.fence ? CODE_SPECIAL : PROSE_SPECIAL;
    special.lastIndex = i;
    const found = special.exec(text);
    const stop = found ? found.index : text.length;
    if (stop > i) {
      out += text.slice(i, stop);
      noteLineText(st, text.slice(i, stop));
      st.prev = text[stop - 1] ?? st.prev;
      i = stop;
      continue;
    }
    if (text[i] === '\n') {
      endLine(st);
      st.span = 0;
      st.lineStart = true;
      st.prev = '\n';
      out += '\n';
      i += 1;
      continue;
    }
    const step = inline(st, text, i, final);
    if (step === HOLD) break;
    out += step.out;
    noteLineText(st, step.out);
    st.prev = text[step.next - 1] ?? st.prev;
    i = step.next;
  }
  return { out, used: i };
};

/** The whole of `text`, neutralised. Idempotent. */
export const neutralize = (text: string): string => scan(initialState(), text, true).out;

export interface Neutralizer {
  /** Adds raw text; returns the neutralised text that can go out now. */
  push(raw: string): string;
  /** Releases what was held back. */
  end(): string;
  /** Raw characters held back (at most NEUTRALIZE_WINDOW once a push returns). */
  readonly held: number;
}

/** A neutraliser for one stream of raw text: `push(a) + push(b) + end()` equals `neutralize(a + b)`. */
export const createNeutralizer = (): Neutralizer => {
  const st = initialState();
  let held = '';
  return {
    push(raw) {
      held += raw;
      const { out, used } = scan(st, held, false);
      held = held.slice(used);
      return out;
    },
    end() {
      const { out } = scan(st, held, true);
      held = '';
      return out;
    },
    get held() {
      return held.length;
    },
  };
};
