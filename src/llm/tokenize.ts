/**
 * Token counting in bounded time, whatever the text, on top of a tiktoken-style encoder (bpe.ts;
 * js-tiktoken before it).
 *
 * The encoder splits text with the encoding's regex, then BPE-merges each piece. The merge scans
 * every adjacent pair of the piece at each step, so a piece of n bytes costs about n² lookups: one
 * 40,000-character "word" took 77 s in js-tiktoken, on the event loop that acks Slack. The regex
 * gives no bound (a run of letters, CJK, emoji or one repeated character is a single piece), so:
 *
 * - no piece longer than MAX_BPE_PIECE_BYTES reaches the merge: a longer piece is cut into chunks
 *   of at most that many bytes, on code point boundaries, and each chunk is encoded on its own. The
 *   work is then linear in the text. A cut can only cost a token at the chunk boundary (+0.3% on
 *   Chinese text, +1% on a random letter run); ordinary words, numbers and punctuation are far
 *   shorter than the bound and count exactly.
 * - the counter yields to the event loop whenever it has run SLICE_MS, so even the linear work of
 *   a whole thread never blocks the loop for long.
 *
 * Counting off the event loop (a worker thread) would still burn the CPU, need a deadline and a
 * fallback, and hold a second copy of the 200k-rank encoder.
 */

/** 24 bytes: every English word, a CJK run of 8 characters, 6 emoji. See MAX_BPE_PIECE_BYTES tests. */
export const MAX_BPE_PIECE_BYTES = 24;
/** Short pieces are encoded in batches of about this many characters: one encoder call each. */
const BATCH_CHARS = 500;
/** The longest stretch the counter runs before it lets other work (acks, /healthz) in. */
export const SLICE_MS = 5;

/**
 * o200k_base's split regex (tiktoken's `pat_str`), the one its encoders split with: the bounded
 * tokenizer cuts only where this regex would, so its segments encode exactly as the whole text.
 */
export const O200K_PATTERN = String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/** The part of the encoder used here: encode with special tokens as plain text, and decode. */
export interface Encoder {
  encode(text: string): number[];
  decode(tokens: number[]): string;
}

/** Lets the event loop run whenever the current slice has lasted `sliceMs`. */
export interface Slicer {
  tick(): Promise<void> | undefined;
}

export const createSlicer = (sliceMs = SLICE_MS): Slicer => {
  let started = performance.now();
  return {
    tick() {
      if (performance.now() - started < sliceMs) return undefined;
      // setImmediate runs after pending I/O: an ack or a /healthz gets in before the next slice.
      return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        started = performance.now();
      });
    },
  };
};

/** UTF-8 length of the code point at `i` and its length in UTF-16 units (a lone surrogate is U+FFFD). */
const codePointAt = (s: string, i: number): { bytes: number; units: number } => {
  const c = s.charCodeAt(i);
  if (c < 0x80) return { bytes: 1, units: 1 };
  if (c < 0x800) return { bytes: 2, units: 1 };
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return { bytes: 4, units: 2 };
  }
  return { bytes: 3, units: 1 };
};

/** Whether `piece` is longer than `maxBytes` in UTF-8 (stops counting past the bound). */
const longerThan = (piece: string, maxBytes: number): boolean => {
  // A UTF-16 unit is at most 3 bytes of UTF-8.
  if (piece.length * 3 <= maxBytes) return false;
  let bytes = 0;
  for (let i = 0; i < piece.length; ) {
    const cp = codePointAt(piece, i);
    bytes += cp.bytes;
    if (bytes > maxBytes) return true;
    i += cp.units;
  }
  return false;
};

/**
 * The text as consecutive segments whose concatenation is the text, each safe to hand to the
 * encoder: the encoder's own split of a segment yields no piece over `maxBytes`. Runs of short
 * pieces are batched (each batch ends on a piece boundary, so the encoder splits it the same way);
 * a long piece is cut into chunks of at most `maxBytes`.
 */
export function* bpeSegments(
  text: string,
  pattern: RegExp,
  maxBytes = MAX_BPE_PIECE_BYTES,
): Generator<string> {
  let batchStart = -1;
  let batchEnd = -1;
  // matchAll works on a copy of the regex, so one pattern can serve concurrent calls.
  for (const m of text.matchAll(pattern)) {
    const piece = m[0];
    if (!longerThan(piece, maxBytes)) {
      if (batchStart < 0) batchStart = m.index;
      batchEnd = m.index + piece.length;
      if (batchEnd - batchStart >= BATCH_CHARS) {
        yield text.slice(batchStart, batchEnd);
        batchStart = -1;
      }
      continue;
    }
    if (batchStart >= 0) {
      yield text.slice(batchStart, batchEnd);
      batchStart = -1;
    }
    for (let i = 0; i < piece.length; ) {
      let j = i;
      let bytes = 0;
      while (j < piece.length) {
        const cp = codePointAt(piece, j);
        if (bytes + cp.bytes > maxBytes) break;
        bytes += cp.bytes;
        j += cp.units;
      }
      yield piece.slice(i, j);
      i = j;
    }
  }
  if (batchStart >= 0) yield text.slice(batchStart, batchEnd);
}

export interface BoundedTokenizer {
  /** Tokens of `text`; their decode is the text (lone surrogates become U+FFFD, as in any UTF-8). */
  encode(text: string): Promise<number[]>;
  count(text: string): Promise<number>;
  decode(tokens: number[]): string;
}

/** `patStr`: the encoding's split regex (`pat_str` of its ranks), the same the encoder uses. */
export const createBoundedTokenizer = (enc: Encoder, patStr: string): BoundedTokenizer => {
  const pattern = new RegExp(patStr, 'gu');
  // One slicer for every call: many short counts in a row (the turns of a thread) add up, and
  // yield like one long count does.
  const slicer = createSlicer();
  const each = async (text: string, onTokens: (tokens: number[]) => void) => {
    for (const segment of bpeSegments(text, pattern)) {
      onTokens(enc.encode(segment));
      const pause = slicer.tick();
      if (pause) await pause;
    }
  };
  return {
    async encode(text) {
      const out: number[] = [];
      await each(text, (tokens) => {
        for (const t of tokens) out.push(t);
      });
      return out;
    },
    async count(text) {
      let n = 0;
      await each(text, (tokens) => {
        n += tokens.length;
      });
      return n;
    },
    decode: (tokens) => enc.decode(tokens),
  };
};
