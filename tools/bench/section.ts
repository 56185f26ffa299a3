import type { DrainResult } from './drain.js';
import type { BenchContext, Fleet } from './procs.js';
import type { Row } from './stats.js';

/** One section of the bench: a key for `--only`, a name for the table, and the rows it measures. */

export interface BenchOptions {
  durationS: number;
  rate: number;
  mentions: number;
  burst: number;
  /** Mentions in the burst-drain flood. */
  floodN: number;
  /** Backlog drained in the LLM-bound scale-out runs. */
  llmScaleJobs: number;
  idleJobs: number;
  jobs: number;
  bareJobs: number;
  concurrency: number;
  workers: number[];
  homeRecords: number;
  logLevel: string;
  /** Minutes of offered load, and requests offered per minute, in each sustained run. */
  sustainedMinutes: number;
  sustainedRate: number;
  only: Set<string>;
  skip: Set<string>;
}

export interface SectionRun {
  ctx: BenchContext;
  fleet: Fleet;
  opts: BenchOptions;
  /** Figures one section leaves for a later one (bare BullMQ's drain rates, for the bot's). */
  shared: { bareRates: DrainResult[] };
}

export interface Section {
  key: string;
  name: string;
  run(r: SectionRun): Promise<Row[]>;
}

/** `method n, method n` for per-method counts, largest first. */
export const perMethod = (counts: Record<string, number>, digits: number, per = 1): string =>
  Object.entries(counts)
    .sort((a, c) => c[1] - a[1])
    .map(([m, n]) => `${m} ${(n / per).toFixed(digits)}`)
    .join(', ');
