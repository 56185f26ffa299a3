/**
 * Slack-sized texts (40,000 characters, Slack's message limit) of the shapes that defeat a
 * tokenizer's pre-split: one long run with no space, base64, one repeated character, CJK, emoji,
 * a long URL, random Unicode with lone surrogates. Deterministic (seeded), so every run and every
 * test sees the same strings. Used by the unit tests, the end-to-end test and the bench.
 */

export const SLACK_MAX_CHARS = 40_000;

/** mulberry32: a tiny seeded PRNG, good enough to pick characters. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** `length` UTF-16 units drawn from `alphabet` (whole code points: never a split emoji). */
const draw = (length: number, alphabet: readonly string[], seed: number): string => {
  const next = prng(seed);
  let out = '';
  while (out.length < length) {
    const pick = alphabet[Math.floor(next() * alphabet.length)]!;
    if (out.length + pick.length > length) break;
    out += pick;
  }
  return out.padEnd(length, alphabet.find((c) => c.length === 1) ?? 'x');
};

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('');
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');
const CJK = Array.from(
  '的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事',
);
const EMOJI = ['😀', '🎉', '👍🏽', '🇫🇷', '❤️', '👨‍👩‍👧', '🚀', '🔥'];
const URL_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_.~%/?=&'.split('');

export type LongShape = 'no-space' | 'base64' | 'repeated' | 'cjk' | 'emoji' | 'url' | 'unicode';

/** Random code units, lone surrogates included (Slack would not send those; a bug elsewhere might). */
const unicode = (length: number, seed: number): string => {
  const next = prng(seed);
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(Math.floor(next() * 0x10000));
  return out;
};

export const longInput = (shape: LongShape, length = SLACK_MAX_CHARS, seed = 12): string => {
  switch (shape) {
    case 'no-space':
      return draw(length, LETTERS, seed);
    case 'base64':
      return draw(length, BASE64, seed);
    case 'repeated':
      return 'a'.repeat(length);
    case 'cjk':
      return draw(length, CJK, seed);
    case 'emoji':
      return draw(length, EMOJI, seed);
    case 'url':
      return `https://example.com/${draw(length - 20, URL_CHARS, seed)}`;
    case 'unicode':
      return unicode(length, seed);
  }
};

export const LONG_SHAPES: readonly LongShape[] = [
  'no-space',
  'base64',
  'repeated',
  'cjk',
  'emoji',
  'url',
  'unicode',
];
