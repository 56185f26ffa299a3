import os from 'node:os';
import { startOpenAI } from '../standins/llm/index.js';
import { startTestRedis, stopAll } from '../standins/processes.js';
import { startSlackApi } from '../standins/slack/index.js';
import { ackSection } from './bench/ack.js';
import { backgroundSection } from './bench/background.js';
import { bareSection } from './bench/bare.js';
import { burstSection } from './bench/burst.js';
import { HELP, readOptions } from './bench/cli.js';
import { floodSection } from './bench/flood.js';
import { footprintSection, homeSection } from './bench/home.js';
import { memoryRows } from './bench/memory.js';
import { mentionSection } from './bench/mention.js';
import { type BenchContext, Fleet } from './bench/procs.js';
import { printReport } from './bench/report.js';
import { llmScaleSection } from './bench/scale-llm.js';
import type { Section, SectionRun } from './bench/section.js';
import type { Row } from './bench/stats.js';
import { sustainedSection } from './bench/sustained.js';
import { tokensSection } from './bench/tokens.js';

/**
 * `npm run bench`: Backchannel's performance figures, measured in one run on this machine against
 * the Slack and OpenAI stand-ins and a throwaway redis-server. Figures, not pass/fail: one
 * markdown table at the end. `--help` lists the flags.
 */

/** In the order they run; `--only` picks by key. Bare BullMQ runs before Background, which compares with it. */
const SECTIONS: readonly Section[] = [
  tokensSection,
  homeSection,
  bareSection,
  ackSection,
  mentionSection,
  burstSection,
  floodSection,
  backgroundSection,
  sustainedSection,
  llmScaleSection,
  footprintSection,
];

const log = (msg: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** The stand-ins, a throwaway redis-server, and the fleet of processes the sections start. */
const startHarness = async (logLevel: string) => {
  const redis = await startTestRedis();
  const slack = await startSlackApi();
  const openai = await startOpenAI({ ttftMs: 0, tokensPerSecond: Number.POSITIVE_INFINITY });
  const ctx: BenchContext = { redis, slack, openai, logLevel };
  const fleet = new Fleet(ctx);
  const stop = async () => {
    await fleet.stopAll();
    fleet.close();
    await Promise.allSettled([slack.close(), openai.close()]);
    await stopAll();
  };
  return { ctx, fleet, stop };
};

/** Runs one section; a failure is reported in the table and the run goes on. */
const runSection = async (section: Section, run: SectionRun, rows: Row[], failures: string[]) => {
  log(`${section.name}…`);
  const t = performance.now();
  try {
    rows.push(...(await section.run(run)));
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    failures.push(`${section.name}: ${message}`);
    rows.push({ section: section.name, figure: 'failed', value: message ?? 'error' });
  } finally {
    await run.fleet.stopAll();
    log(`${section.name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
};

const main = async (): Promise<number> => {
  const opts = readOptions();
  if (!opts) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const startedAt = performance.now();
  const loadBefore = os.loadavg();
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const rows: Row[] = [];
  const failures: string[] = [];
  const harness = await startHarness(opts.logLevel);
  try {
    const run: SectionRun = { ctx: harness.ctx, fleet: harness.fleet, opts, shared: { bareRates: [] } };
    for (const section of SECTIONS)
      if ((opts.only.size === 0 || opts.only.has(section.key)) && !opts.skip.has(section.key))
        await runSection(section, run, rows, failures);
    rows.push(...memoryRows(harness.fleet));
  } finally {
    await harness.stop();
  }
  printReport({ rows, failures, logLevel: opts.logLevel, startedAt, loadBefore });
  return failures.length ? 1 : 0;
};

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    void stopAll().finally(() => process.exit(1));
  },
);
