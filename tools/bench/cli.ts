import { parseArgs } from 'node:util';
import type { BenchOptions } from './section.js';

/** `npm run bench -- [flags]`: the flags, read once. */

export const HELP = `Usage: npm run bench -- [flags]

  --duration <s>      seconds of sustained events for the ack figures (default 10)
  --rate <n>          events per second during that time (default 100)
  --mentions <n>      sequential mentions timed to first sign / first text (default 8)
  --burst <n>         concurrent streamed answers, rate limits off and on (default 10)
  --flood <n>         mentions in the burst-drain flood, at 50/s from 250 users (default 1000)
  --llm-scale-jobs <n> backlog drained with a 2 s LLM by 1 and 4 worker processes (default 240)
  --idle-jobs <n>     later-requests timed enqueue → start on an idle queue (default 20)
  --jobs <n>          backlog drained by the bot's workers, per run (default 200)
  --bare-jobs <n>     backlog drained by bare BullMQ workers, per run (default 5000)
  --concurrency <n>   WORKER_CONCURRENCY of every worker process, bare ones too (default 4)
  --workers <list>    worker-process counts for the scale-out runs (default 1,2,4)
  --home-records <n>  request records of the heavy Home user (default 500)
  --sustained-minutes <n>  minutes of offered load per sustained run (default 3; two runs, ~7 min in all)
  --sustained-rate <n>     background requests offered per minute in those runs (default 60, above the ceiling)
  --log-level <l>     the bot's LOG_LEVEL (default info, as deployed)
  --only <list>       run only these sections: tokens, home, bare, ack, mention, burst, flood,
                      background, sustained, llm-scale, footprint
  --skip <list>       leave these sections out (e.g. --skip sustained: it takes about 7 minutes)
  --help`;

const int = (name: string, v: string | undefined, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name}: must be an integer ≥ ${min}\n${HELP}\n`);
    process.exit(2);
  }
  return n;
};

const list = (v: string | undefined): Set<string> =>
  new Set(
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** The options, or undefined for `--help`; a bad number exits with the usage. */
export const readOptions = (): BenchOptions | undefined => {
  const { values: flags } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      rate: { type: 'string', default: '100' },
      mentions: { type: 'string', default: '8' },
      burst: { type: 'string', default: '10' },
      flood: { type: 'string', default: '1000' },
      'llm-scale-jobs': { type: 'string', default: '240' },
      'idle-jobs': { type: 'string', default: '20' },
      jobs: { type: 'string', default: '200' },
      'bare-jobs': { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '4' },
      workers: { type: 'string', default: '1,2,4' },
      'home-records': { type: 'string', default: '500' },
      'log-level': { type: 'string', default: 'info' },
      'sustained-minutes': { type: 'string', default: '3' },
      'sustained-rate': { type: 'string', default: '60' },
      only: { type: 'string', default: '' },
      skip: { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  });
  if (flags.help) return undefined;
  return {
    durationS: int('duration', flags.duration),
    rate: int('rate', flags.rate),
    mentions: int('mentions', flags.mentions),
    burst: int('burst', flags.burst),
    floodN: int('flood', flags.flood),
    llmScaleJobs: int('llm-scale-jobs', flags['llm-scale-jobs']),
    idleJobs: int('idle-jobs', flags['idle-jobs']),
    jobs: int('jobs', flags.jobs),
    bareJobs: int('bare-jobs', flags['bare-jobs']),
    concurrency: int('concurrency', flags.concurrency),
    workers: (flags.workers ?? '').split(',').map((w) => int('workers', w.trim())),
    homeRecords: int('home-records', flags['home-records']),
    logLevel: flags['log-level'] ?? 'info',
    sustainedMinutes: int('sustained-minutes', flags['sustained-minutes'], 2),
    sustainedRate: int('sustained-rate', flags['sustained-rate']),
    only: list(flags.only),
    skip: list(flags.skip),
  };
};
