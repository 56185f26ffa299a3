import { loadTokenizer } from '../../src/llm/budget.js';
import { type BoundedTokenizer, createBoundedTokenizer, O200K_PATTERN } from '../../src/llm/tokenize.js';
import { longInput } from '../../standins/long-inputs.js';
import { measureBlocking } from '../../standins/loop-watch.js';

/**
 * One o200k_base encoder in a fresh process (run with --expose-gc): what loading it costs (time,
 * the event-loop block, heap and RSS once collected) and how fast the bounded tokenizer counts on
 * it. Prints one JSON line. argv[2]: `bot` (the bot's own loadTokenizer: bpe.ts over the o200k
 * ranks file), `gpt-tokenizer` (that package's own encoder) or `js-tiktoken` (what it used before).
 */

const NONE = new Set<string>();

const load = async (which: string): Promise<BoundedTokenizer> => {
  if (which === 'bot') return loadTokenizer();
  if (which === 'gpt-tokenizer') {
    const o200k = await import('gpt-tokenizer/encoding/o200k_base');
    return createBoundedTokenizer(
      {
        encode: (t) => o200k.encode(t, { allowedSpecial: NONE, disallowedSpecial: NONE }),
        decode: (t) => o200k.decode(t),
      },
      O200K_PATTERN,
    );
  }
  const [{ Tiktoken }, ranks] = await Promise.all([
    import('js-tiktoken/lite'),
    import('js-tiktoken/ranks/o200k_base'),
  ]);
  const enc = new Tiktoken(ranks.default);
  return createBoundedTokenizer(
    { encode: (t) => enc.encode(t, [], []), decode: (t) => enc.decode(t) },
    O200K_PATTERN,
  );
};

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const mib = (b: number) => b / 1048576;

const which = process.argv[2] ?? 'bot';
gc();
const before = process.memoryUsage();
const loaded = await measureBlocking(async () => {
  const tk = await load(which);
  await tk.count('warm up');
  return tk;
});
gc();
const after = process.memoryUsage();
const tk = loaded.result;
const ordinary =
  'We rotate the signing keys every quarter, and the staging ones before each release. '.repeat(480);
const timeCount = async (text: string) => {
  const started = performance.now();
  const n = await tk.count(text);
  return { ms: performance.now() - started, tokens: n };
};
await timeCount(ordinary);
const plain = await timeCount(ordinary);
const noSpace = await timeCount(longInput('no-space'));
const cjk = await timeCount(longInput('cjk'));
gc();
const end = process.memoryUsage();
console.log(
  JSON.stringify({
    which,
    loadMs: loaded.wallMs,
    loadBlockMs: loaded.worstBlockMs,
    heapMiB: mib(after.heapUsed - before.heapUsed),
    rssMiB: mib(after.rss - before.rss),
    rssAfterUseMiB: mib(end.rss - before.rss),
    ordinaryMs: plain.ms,
    noSpaceMs: noSpace.ms,
    cjkMs: cjk.ms,
  }),
);
