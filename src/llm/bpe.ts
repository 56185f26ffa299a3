import type { Encoder, Slicer } from './tokenize.js';

/**
 * A byte-pair encoder over tiktoken ranks, built without blocking the event loop.
 *
 * gpt-tokenizer's and js-tiktoken's encoders build their 200,000-entry rank maps in one go, which
 * blocked the loop for 80-300 ms (gpt-tokenizer) and 0.5-3 s (js-tiktoken, parsing its ranks
 * module) on the first count of each process. Here the ranks file is parsed and the map filled in
 * slices that yield to the loop. The merge is tiktoken's own (`_byte_pair_merge`): repeatedly join
 * the adjacent pair of lowest rank. Its cost grows with the square of a piece's length, which is
 * fine because the bounded tokenizer never hands it a piece over 24 bytes.
 *
 * Tokens are keyed by their bytes as a latin1 string (one char per byte). Special tokens
 * (`<|endoftext|>`) are not in the ranks, so they are counted as the text they are.
 */

const NONE = Number.POSITIVE_INFINITY;

/** `<base64 bytes> <rank>` lines of a `.tiktoken` file, as a rank map, in slices. */
export const parseRanks = async (text: string, slicer: Slicer): Promise<Map<string, number>> => {
  const ranks = new Map<string, number>();
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const space = text.indexOf(' ', start);
    if (space > start && space < end)
      ranks.set(
        Buffer.from(text.slice(start, space), 'base64').toString('latin1'),
        Number(text.slice(space + 1, end)),
      );
    start = end + 1;
    const pause = slicer.tick();
    if (pause) await pause;
  }
  return ranks;
};

/** Tokens of one piece (its UTF-8 bytes as a latin1 string). */
const mergePiece = (piece: string, ranks: Map<string, number>, out: number[]): void => {
  const whole = ranks.get(piece);
  if (whole !== undefined) {
    out.push(whole);
    return;
  }
  // starts[i]: where part i begins; the pair rank of part i joined with part i+1.
  const starts: number[] = [];
  for (let i = 0; i <= piece.length; i++) starts.push(i);
  const pairRank = (i: number): number =>
    i + 2 < starts.length ? (ranks.get(piece.slice(starts[i], starts[i + 2])) ?? NONE) : NONE;
  const pairs = starts.map((_, i) => pairRank(i));
  for (;;) {
    let best = NONE;
    let at = -1;
    for (let i = 0; i < pairs.length - 1; i++) {
      const r = pairs[i] as number;
      if (r < best) {
        best = r;
        at = i;
      }
    }
    if (at < 0) break;
    starts.splice(at + 1, 1);
    pairs.splice(at + 1, 1);
    pairs[at] = pairRank(at);
    if (at > 0) pairs[at - 1] = pairRank(at - 1);
  }
  for (let i = 0; i + 1 < starts.length; i++) {
    const rank = ranks.get(piece.slice(starts[i], starts[i + 1]));
    // Every single byte has a rank in a byte-level BPE; this only guards a damaged ranks file.
    if (rank === undefined) throw new Error('byte missing from the tokenizer ranks');
    out.push(rank);
  }
};

/** An encoder over `ranks`, splitting text with the encoding's regex as tiktoken does. */
export const createBpeEncoder = (ranks: Map<string, number>, patStr: string): Encoder => {
  const pattern = new RegExp(patStr, 'gu');
  let decoder: string[] | undefined;
  return {
    encode(text) {
      const out: number[] = [];
      for (const m of text.matchAll(pattern))
        mergePiece(Buffer.from(m[0], 'utf8').toString('latin1'), ranks, out);
      return out;
    },
    decode(tokens) {
      // Built on the first decode (only trimming a turn decodes): the rank → bytes table.
      if (!decoder) {
        decoder = [];
        for (const [bytes, rank] of ranks) decoder[rank] = bytes;
      }
      const table = decoder;
      return Buffer.from(tokens.map((t) => table[t] ?? '').join(''), 'latin1').toString('utf8');
    },
  };
};
