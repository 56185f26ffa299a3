import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { Tiktoken } from 'js-tiktoken/lite';
import ranks from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { createBpeEncoder, parseRanks } from '../../src/llm/bpe.js';
import { countTokens, loadTokenizer } from '../../src/llm/budget.js';
import {
  bpeSegments,
  createBoundedTokenizer,
  createSlicer,
  MAX_BPE_PIECE_BYTES,
  O200K_PATTERN,
} from '../../src/llm/tokenize.js';
import { LONG_SHAPES, longInput } from '../../standins/long-inputs.js';
import { measureBlocking } from '../../standins/loop-watch.js';

/**
 * js-tiktoken as it is: a second implementation of o200k_base (the bot counts with gpt-tokenizer),
 * for exact counts of texts short enough to count that way.
 */
const exact = new Tiktoken(ranks);
const exactCount = (text: string) => exact.encode(text, [], []).length;
const pattern = new RegExp(ranks.pat_str, 'gu');
const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** What js-tiktoken hands its BPE merge for a segment: the segment split by the encoding's regex. */
const piecesOf = (segment: string) => [...segment.matchAll(pattern)].map((m) => m[0]);

describe('the segments handed to the BPE', () => {
  it.each(LONG_SHAPES)(
    'of a 40,000-character %s text hold no piece over the bound, and lose nothing',
    (shape) => {
      const text = longInput(shape);
      const segments = [...bpeSegments(text, pattern)];

      expect(segments.join('')).toBe(text);
      const longest = Math.max(...segments.flatMap(piecesOf).map(utf8Bytes));
      expect(longest).toBeLessThanOrEqual(MAX_BPE_PIECE_BYTES);
    },
  );

  it('hold no piece over the bound and lose nothing, for any text (property)', () => {
    const unit = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      // Runs: the pieces the pre-split cannot cut.
      fc
        .tuple(
          fc.constantFrom('a', 'Z', '漢', '😀', ' ', '\n', '!', '7', '\u0301', '\uD800', '\uDC00'),
          fc.nat(300),
        )
        .map(([c, n]) => c.repeat(n)),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        const segments = [...bpeSegments(text, pattern)];
        expect(segments.join('')).toBe(text);
        for (const piece of segments.flatMap(piecesOf))
          expect(utf8Bytes(piece)).toBeLessThanOrEqual(MAX_BPE_PIECE_BYTES);
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});

describe('the bounded counter', () => {
  it.each(LONG_SHAPES)(
    'counts a 40,000-character %s text in a few seconds at most, the event loop ticking',
    async (shape) => {
      await loadTokenizer();
      const text = longInput(shape);

      const { result, worstCpuMs, wallMs } = await measureBlocking(() => countTokens(text));

      expect(result).toBeGreaterThan(0);
      // Generous bounds for a shared machine: js-tiktoken alone takes about 77 s on the no-space
      // text, all of it one block; here it takes well under a second, in slices of about 5 ms of
      // CPU (the block is measured in CPU time, which another process cannot stretch).
      // `npm run bench` reports the real figures.
      expect(wallMs).toBeLessThan(5000);
      expect(worstCpuMs).toBeLessThan(100);
    },
  );

  it('lets the event loop in between many short counts in a row, as between the turns of a thread', async () => {
    const tk = await loadTokenizer();
    const turns = Array.from({ length: 300 }, (_, i) => longInput('base64', 1000, i));

    const { result, worstCpuMs } = await measureBlocking(async () => {
      let sum = 0;
      for (const turn of turns) sum += await tk.count(turn);
      return sum;
    });

    expect(result).toBeGreaterThan(300 * 300);
    expect(worstCpuMs).toBeLessThan(100);
  });

  it('encodes to tokens that decode to the text', async () => {
    const tk = await loadTokenizer();
    for (const shape of LONG_SHAPES.filter((s) => s !== 'unicode')) {
      const text = longInput(shape, 5000);
      expect(tk.decode(await tk.encode(text))).toBe(text);
    }
  });

  it('reads the ranks without blocking the loop, and encodes any short text exactly as js-tiktoken (property)', async () => {
    const file = new URL(import.meta.resolve('gpt-tokenizer/data/o200k_base.tiktoken'));
    const text = await readFile(file, 'latin1');
    const { result: ranks, worstCpuMs } = await measureBlocking(() => parseRanks(text, createSlicer()));
    expect(ranks.size).toBe(199_998);
    expect(worstCpuMs).toBeLessThan(100);
    const ours = createBpeEncoder(ranks, O200K_PATTERN);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 60 }),
          fc.string({ unit: 'binary', maxLength: 30 }),
          fc.constantFrom(
            '\uFEFFusing namespace',
            '<|endoftext|> and <|im_start|>',
            'QUJDREVGR0g=',
            '  \n\n\t x',
          ),
        ),
        (s) => {
          // Lone surrogates are not text either encoder can round-trip; both make them U+FFFD.
          const t = s.replace(
            /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
            '\uFFFD',
          );
          expect(ours.encode(t)).toEqual(exact.encode(t, [], []));
          expect(ours.decode(ours.encode(t))).toBe(t);
        },
      ),
      { seed: 15, numRuns: 400 },
    );
  });

  it('splits with the same regex as the encoding’s own (tiktoken’s pat_str)', () => {
    expect(O200K_PATTERN).toBe(ranks.pat_str);
  });

  it('counts ordinary text exactly as js-tiktoken does', async () => {
    const texts = [
      'How do we rotate the signing keys before Friday’s release? See https://example.com/docs/keys#rotate.',
      'Ça marche très bien, merci ! Die Größenordnung ist überschaubar. ¿Qué tal?',
      'function createContextBuilder(deps: ContextDeps) {\n  return { async build() { return 42; } };\n}\n',
      '{"user":"U0ALICE","ts":"1712345678.000100","text":"<@U0BOT> later summarise the incident"}',
      '## Steps\n\n1. Run `npm ci`\n2. Run `npm test` — expect 0 failures\n\n> note: use Node 20.19+',
      '我们明天发布新版本。请检查签名密钥是否已经轮换，并更新文档。',
      'Emoji are fine 😀🎉 and so are flags 🇫🇷 and families 👨‍👩‍👧 in a sentence.',
    ];
    const tk = await loadTokenizer();
    for (const text of texts) {
      const long = Array.from({ length: 40 }, () => text).join('\n');
      expect(await tk.count(long)).toBe(exactCount(long));
    }
  });

  it('stays within 2% of the exact count on the pathological shapes, never below it', async () => {
    const tk = await loadTokenizer();
    // Short enough for js-tiktoken to count exactly in reasonable time.
    for (const shape of LONG_SHAPES) {
      const text = longInput(shape, 600);
      const bounded = await tk.count(text);
      const exactly = exactCount(text);
      expect(bounded, shape).toBeGreaterThanOrEqual(exactly);
      expect(bounded, shape).toBeLessThanOrEqual(Math.ceil(exactly * 1.02) + 1);
    }
  });

  it('counts special-token look-alikes as plain text, in any segment', async () => {
    const tk = createBoundedTokenizer(
      { encode: (t) => exact.encode(t, [], []), decode: (t) => exact.decode(t) },
      ranks.pat_str,
    );
    const text = `${'x'.repeat(3000)}<|endoftext|>${'y'.repeat(30)} <|endoftext|>`;
    expect(await tk.count(text)).toBeGreaterThan(10);
  });
});
