import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { backgroundCap } from '../../src/llm/governor.js';
import { QUEUES } from '../../src/queue/registry.js';
import type { BotProcess } from '../../standins/processes.js';
import { answerOfWords } from './answers.js';
import { type DrainResult, fillBacklog, redisPids, timeDrain } from './drain.js';
import { type BenchContext, type Fleet, vmRssKb } from './procs.js';
import type { Section } from './section.js';
import { bytes, num, type Row, ratio } from './stats.js';

/**
 * Scale-out when the LLM is the bottleneck: the LLM stand-in takes 2 s per answer, so a job is
 * seconds of waiting and milliseconds of CPU. The same backlog of `later` requests is drained by one
 * worker process, then by four, then by four under a tighter governor. Worker processes should add
 * throughput until a shared budget binds; each run names the limit that binds it, from a prediction
 * of each ceiling: worker slots, the governor's calls at once (background's share) and its requests
 * per minute. Slack's limits are off here (the sustained-answers section measures that ceiling).
 */

const LLM_MS = 2_000;
const CONCURRENCY = 8;
const RESERVE = 0.25;

interface ScaleRun {
  workers: number;
  llmConcurrency: number;
  llmRpm: number;
}

const RUNS: ScaleRun[] = [
  { workers: 1, llmConcurrency: 64, llmRpm: 0 },
  { workers: 4, llmConcurrency: 64, llmRpm: 0 },
  { workers: 4, llmConcurrency: 16, llmRpm: 0 },
];

/** Answers per second each limit allows, and the lowest of them: what should bind. */
export const ceilings = (r: ScaleRun) => {
  const perS = {
    'worker slots': (r.workers * CONCURRENCY * 1000) / LLM_MS,
    'LLM governor, calls at once': r.llmConcurrency
      ? (backgroundCap(r.llmConcurrency, RESERVE) * 1000) / LLM_MS
      : Number.POSITIVE_INFINITY,
    'LLM governor, requests per minute': r.llmRpm
      ? (r.llmRpm * (1 - RESERVE)) / 60
      : Number.POSITIVE_INFINITY,
  };
  const [binding, rate] = Object.entries(perS).reduce((a, b) => (b[1] < a[1] ? b : a));
  return { perS, binding, rate };
};

/** One web fills a paused queue with `jobs` later-requests; then the workers start and drain it. */
const drainWithSlowLlm = async (ctx: BenchContext, fleet: Fleet, run: ScaleRun, jobs: number, n: number) => {
  const prefix = `{bench-llm-scale-${n}}`;
  const phase = `llm scale-out, ${run.workers} worker(s), LLM_MAX_CONCURRENCY=${run.llmConcurrency}`;
  const env = {
    WORKER_CONCURRENCY: String(CONCURRENCY),
    LLM_MAX_CONCURRENCY: String(run.llmConcurrency),
    LLM_MAX_RPM: String(run.llmRpm),
    LLM_FOREGROUND_RESERVE: String(RESERVE),
    USER_MAX_RUNNING: '1000',
  };
  const redis = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
  const answers = new Queue(QUEUES.answers.name, { connection: redis, prefix });
  const intake = new Queue(QUEUES.intake.name, { connection: redis, prefix });
  ctx.openai.configure({
    ttftMs: LLM_MS,
    tokensPerSecond: Number.POSITIVE_INFINITY,
    text: answerOfWords(30),
  });
  ctx.slack.setRateLimits(false);
  let web: BotProcess | undefined;
  const workers: BotProcess[] = [];
  try {
    await answers.pause();
    web = await fleet.startBot('web', phase, prefix, env);
    const url = web.url;
    const keys = await fillBacklog(ctx, { url, prefix, jobs, tag: 'ls', answers, intake });
    workers.push(
      ...(await Promise.all(
        Array.from({ length: run.workers }, () => fleet.startBot('worker', phase, prefix, env)),
      )),
    );
    const idleKb = workers.map((w) => vmRssKb(w.pid) ?? Number.NaN);
    // VmHWM would count the start-up peak (the tokenizer's load): sample VmRSS during the drain instead.
    const busyKb = workers.map(() => 0);
    const sampler = setInterval(() => {
      workers.forEach((w, i) => {
        busyKb[i] = Math.max(busyKb[i] ?? 0, vmRssKb(w.pid) ?? 0);
      });
    }, 100);
    const drained = await timeDrain({
      workers: run.workers,
      jobs,
      concurrency: CONCURRENCY,
      queue: answers,
      redis,
      keys,
      pids: { workers: workers.map((w) => w.pid), web: [web.pid], redis: redisPids(ctx) },
      timeoutMs: 300_000,
    }).finally(() => clearInterval(sampler));
    // Memory a job in flight costs: each worker's busiest RSS over its idle one, per slot (all were busy).
    const perJobKb = workers.map((_, i) => ((busyKb[i] ?? 0) - (idleKb[i] ?? Number.NaN)) / CONCURRENCY);
    return { ...drained, perJobKb: Math.max(...perJobKb) };
  } finally {
    await Promise.allSettled(workers.map((w) => fleet.stop(w)));
    if (web) await fleet.stop(web);
    await Promise.allSettled([answers.close(), intake.close()]);
    redis.disconnect();
  }
};

export const llmScaleSection: Section = {
  key: 'llm-scale',
  name: 'Scale-out, LLM-bound',
  run: async ({ ctx, fleet, opts }) => {
    const jobs = opts.llmScaleJobs;
    const rows: Row[] = [];
    let one: DrainResult | undefined;
    let perJobKb = Number.NaN;
    for (const [i, run] of RUNS.entries()) {
      const r = await drainWithSlowLlm(ctx, fleet, run, jobs, i + 1);
      one ??= r;
      if (i === 0) perJobKb = r.perJobKb;
      const c = ceilings(run);
      const answersPerMin = r.jobsPerSecond * 60;
      const vsOne = i === 0 ? '' : `; ${ratio(r.jobsPerSecond, one.jobsPerSecond)} one worker's`;
      rows.push({
        section: 'Scale-out, LLM-bound',
        figure: `${run.workers} worker process${run.workers > 1 ? 'es' : ''} × ${CONCURRENCY}, LLM_MAX_CONCURRENCY=${run.llmConcurrency}: answers/min`,
        value: `${num(answersPerMin)}${vsOne}`,
        ...(i === 1 ? { aim: "≥ 3.5× one worker's" } : {}),
        how: `${jobs} later-requests drained, LLM ${LLM_MS / 1000} s per answer, Slack limits off; ${r.completed} done, ${r.failed} failed; predicted ceiling ${num(c.rate * 60)}/min, bound by ${c.binding} (${Object.entries(
          c.perS,
        )
          .map(([k, v]) => `${k} ${Number.isFinite(v) ? num(v * 60) : '∞'}/min`)
          .join(', ')}); measured/predicted ${ratio(r.jobsPerSecond, c.rate)}`,
      });
    }
    rows.push({
      section: 'Scale-out, LLM-bound',
      figure: 'memory per job in flight, worker process',
      value: Number.isFinite(perJobKb) ? bytes(perJobKb * 1024) : 'n/a',
      how: `(highest RSS during the drain, sampled every 100 ms − RSS before it) / ${CONCURRENCY} slots, one worker, every slot busy for the whole drain`,
    });
    return rows;
  },
};
