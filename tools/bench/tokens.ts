import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Turn } from '../../src/core/domain.js';
import {
  countTokens,
  isTokenizerLoaded,
  loadTokenizer,
  trimToBudget,
  turnTokens,
} from '../../src/llm/budget.js';
import { LONG_SHAPES, longInput, SLACK_MAX_CHARS } from '../../standins/long-inputs.js';
import { measureBlocking } from '../../standins/loop-watch.js';
import { BOT_NODE_OPTIONS } from './procs.js';
import type { Section } from './section.js';
import { max, median, ms, num, type Row } from './stats.js';

/**
 * Token counting in this process: the worst event-loop block and the wall time of counting one
 * Slack-sized message of each hostile shape, then of pricing a whole 40-turn thread. The aim is the
 * hardening issue's: no 40,000-character message blocks the loop for more than 50 ms. Each block
 * is given as wall time / CPU time: on a loaded machine the wall gap includes time the OS gave to
 * other processes, the CPU time is the work itself.
 */

const RUNS = 3;
const SECTION = 'Token counting';
const BUDGET = 16_000;
const RESERVE = 1024;
const PROMPT = 'You are Backchannel, a helpful assistant in a Slack workspace.';

const ordinary = (i: number) =>
  `Turn ${i}: ${'We rotate the signing keys every quarter, and the staging ones before each release; '.repeat(18)}`;

const thread = (text: (i: number) => string): Turn[] =>
  Array.from({ length: 40 }, (_, i) =>
    i % 2
      ? { role: 'assistant', text: text(i), ts: `${1000 + i}.0` }
      : { role: 'user', userId: 'U0ALICE', name: 'Alice', text: text(i), ts: `${1000 + i}.0` },
  );

interface Measured {
  wallMs: number;
  worstBlockMs: number;
  worstCpuMs: number;
}

const block = (m: Pick<Measured, 'worstBlockMs' | 'worstCpuMs'>) =>
  `${ms(m.worstBlockMs)} / ${ms(m.worstCpuMs)}`;
const timed = (m: Measured) => `${ms(m.wallMs)} (block ${block(m)})`;

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tokenizer-probe.js');

interface Probe {
  which: string;
  loadMs: number;
  loadBlockMs: number;
  heapMiB: number;
  rssMiB: number;
  rssAfterUseMiB: number;
  ordinaryMs: number;
  noSpaceMs: number;
  cjkMs: number;
}

/** The encoder the bot uses beside the one it used before, each loaded in a fresh process. */
const compareEncoders = async (): Promise<Row[]> => {
  const run = async (which: string): Promise<Probe> => {
    const flags = BOT_NODE_OPTIONS.split(' ').filter(Boolean);
    const { stdout } = await promisify(execFile)(process.execPath, [...flags, '--expose-gc', PROBE, which]);
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Probe;
  };
  const all = [await run('bot'), await run('gpt-tokenizer'), await run('js-tiktoken')];
  const each = (f: (p: Probe) => string) => all.map(f).join(' / ');
  const names = 'ours (bpe.ts) / gpt-tokenizer / js-tiktoken (before)';
  return [
    {
      section: SECTION,
      figure: `o200k encoder once loaded: ${names}`,
      value: each((p) => `heap +${p.heapMiB.toFixed(1)} MiB, RSS +${p.rssMiB.toFixed(0)} MiB`),
      how: 'a fresh process each (with the bot’s V8 flags), after a full GC; what every process that has counted holds',
    },
    {
      section: SECTION,
      figure: `its load: wall, worst event-loop block: ${names}`,
      value: each((p) => `${ms(p.loadMs)}, ${ms(p.loadBlockMs)}`),
      how: 'paid once per process, on its first count (nothing is loaded at start-up)',
    },
    {
      section: SECTION,
      figure: `bounded count of 40,000 chars, ordinary, no-space, CJK: ${names}`,
      value: each((p) => `${ms(p.ordinaryMs)}, ${ms(p.noSpaceMs)}, ${ms(p.cjkMs)}`),
      how: 'the same bounded tokenizer (24-byte pieces, 5 ms slices) on each encoder; the same counts',
    },
  ];
};

export const benchTokens = async (): Promise<Row[]> => {
  const rows: Row[] = await compareEncoders();
  if (!isTokenizerLoaded()) {
    const first = await measureBlocking(() => loadTokenizer());
    rows.push({
      section: SECTION,
      figure: 'first load in this process: wall, worst event-loop block',
      value: `${ms(first.wallMs)}, ${ms(first.worstBlockMs)}`,
      how: 'the price of loading lazily, once per process: the ranks file is read and parsed in 5 ms slices',
    });
  }
  await loadTokenizer();
  const all: Measured[] = [];
  for (const shape of LONG_SHAPES) {
    const text = longInput(shape);
    const runs: Measured[] = [];
    let tokens = 0;
    for (let run = 0; run < RUNS; run++) {
      const m = await measureBlocking(() => countTokens(text));
      runs.push(m);
      tokens = m.result;
    }
    all.push(...runs);
    rows.push({
      section: SECTION,
      figure: `40,000 characters, ${shape}: worst event-loop block, wall / CPU`,
      value: block({
        worstBlockMs: max(runs.map((r) => r.worstBlockMs)),
        worstCpuMs: max(runs.map((r) => r.worstCpuMs)),
      }),
      aim: '< 50 ms',
      how: `countTokens, worst of ${RUNS}; wall ${ms(median(runs.map((r) => r.wallMs)))} (median), ${num(tokens)} tokens`,
    });
  }

  const hostile = thread((i) => longInput(LONG_SHAPES[i % LONG_SHAPES.length]!, SLACK_MAX_CHARS, i));
  const everyTurn = await measureBlocking(async () => {
    let sum = 0;
    for (const turn of hostile) sum += await turnTokens(turn);
    return sum;
  });
  const counted = await Promise.all(hostile.map(async (t) => ({ ...t, tokens: await turnTokens(t) })));
  const trim = (turns: Turn[]) =>
    measureBlocking(() => trimToBudget({ systemPrompt: PROMPT, turns, budget: BUDGET, reserve: RESERVE }));
  const uncached = await trim(hostile);
  const cached = await trim(counted);
  const plain = thread(ordinary);
  const plainUncached = await trim(plain);
  const plainCached = await trim(
    await Promise.all(plain.map(async (t) => ({ ...t, tokens: await turnTokens(t) }))),
  );
  all.push(everyTurn, uncached, cached, plainUncached, plainCached);
  rows.push(
    {
      section: SECTION,
      figure: '40-turn thread of 40,000-character turns: count every turn',
      value: timed(everyTurn),
      how: `turnTokens over all ${hostile.length} turns (the shapes above in turn), ${num(everyTurn.result)} tokens: what a cache with no counts would cost`,
    },
    {
      section: SECTION,
      figure: 'that thread, trimToBudget: no counts / cached counts',
      value: `${timed(uncached)} / ${timed(cached)}`,
      how: `budget ${num(BUDGET)} − reserve ${num(RESERVE)}; priced newest first, so turns that cannot fit are never counted; root and question cut to fit`,
    },
    {
      section: SECTION,
      figure: '40-turn thread of ordinary 1,500-character turns, trimToBudget: no counts / cached counts',
      value: `${timed(plainUncached)} / ${timed(plainCached)}`,
      how: `${num(plainUncached.result.tokens)} prompt tokens kept, ${plainUncached.result.droppedTurns} turns dropped`,
    },
    {
      section: SECTION,
      figure: 'worst event-loop block of all the above, wall / CPU',
      value: block({
        worstBlockMs: max(all.map((m) => m.worstBlockMs)),
        worstCpuMs: max(all.map((m) => m.worstCpuMs)),
      }),
      aim: '< 50 ms',
      how: 'the counter yields to the loop every 5 ms (SLICE_MS); no piece over 24 bytes reaches the BPE',
    },
  );
  return rows;
};

export const tokensSection: Section = { key: 'tokens', name: 'Token counting', run: benchTokens };
