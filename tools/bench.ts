import os from 'node:os';
import { parseArgs } from 'node:util';
import { type OpenAIStandin, startOpenAI } from '../standins/llm/index.js';
import { startTestRedis, stopAll } from '../standins/processes.js';
import { type SlackApiStandin, startSlackApi } from '../standins/slack/index.js';
import { type AckRun, ackFigures, benchBareAck, benchBotAck } from './bench/ack.js';
import { benchBurst, benchFirstSign, type LlmShape } from './bench/answers.js';
import { benchBareDrain, benchBotDrain, benchIdleQueue, type DrainResult } from './bench/background.js';
import { benchHome, realRecordBytes } from './bench/home.js';
import { type BenchContext, Fleet } from './bench/procs.js';
import { WRITE_METHODS_NOTE } from './bench/slack-calls.js';
import {
  bytes,
  max,
  mean,
  median,
  ms,
  num,
  percentile,
  type Row,
  ratio,
  renderTable,
  spread,
} from './bench/stats.js';
import { benchTokens } from './bench/tokens.js';

/**
 * `npm run bench`: Backchannel's performance figures, measured in one run on this machine against
 * the Slack and OpenAI stand-ins and a throwaway redis-server. Figures, not pass/fail: one
 * markdown table at the end. `--help` lists the flags.
 */

const HELP = `Usage: npm run bench -- [flags]

  --duration <s>      seconds of sustained events for the ack figures (default 10)
  --rate <n>          events per second during that time (default 100)
  --mentions <n>      sequential mentions timed to first sign / first text (default 8)
  --burst <n>         concurrent streamed answers, rate limits off and on (default 10)
  --idle-jobs <n>     later-requests timed enqueue → start on an idle queue (default 20)
  --jobs <n>          backlog drained by the bot's workers, per run (default 200)
  --bare-jobs <n>     backlog drained by bare BullMQ workers, per run (default 5000)
  --concurrency <n>   WORKER_CONCURRENCY of every worker process, bare ones too (default 4)
  --workers <list>    worker-process counts for the scale-out runs (default 1,2,4)
  --home-records <n>  request records of the heavy Home user (default 500)
  --log-level <l>     the bot's LOG_LEVEL (default info, as deployed)
  --only <list>       run only these sections: tokens, home, bare, ack, mention, burst, background, footprint
  --help`;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rate: { type: 'string', default: '100' },
    mentions: { type: 'string', default: '8' },
    burst: { type: 'string', default: '10' },
    'idle-jobs': { type: 'string', default: '20' },
    jobs: { type: 'string', default: '200' },
    'bare-jobs': { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '4' },
    workers: { type: 'string', default: '1,2,4' },
    'home-records': { type: 'string', default: '500' },
    'log-level': { type: 'string', default: 'info' },
    only: { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});

const int = (name: string, v: string | undefined, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name}: must be an integer ≥ ${min}\n${HELP}\n`);
    process.exit(2);
  }
  return n;
};

const log = (msg: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

const main = async (): Promise<number> => {
  if (flags.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const opts = {
    durationS: int('duration', flags.duration),
    rate: int('rate', flags.rate),
    mentions: int('mentions', flags.mentions),
    burst: int('burst', flags.burst),
    idleJobs: int('idle-jobs', flags['idle-jobs']),
    jobs: int('jobs', flags.jobs),
    bareJobs: int('bare-jobs', flags['bare-jobs']),
    concurrency: int('concurrency', flags.concurrency),
    workers: (flags.workers ?? '').split(',').map((w) => int('workers', w.trim())),
    homeRecords: int('home-records', flags['home-records']),
    logLevel: flags['log-level'] ?? 'info',
    only: new Set(
      (flags.only ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  };
  const started = performance.now();
  const loadBefore = os.loadavg();
  const rows: Row[] = [];
  const failures: string[] = [];
  let slack: SlackApiStandin | undefined;
  let openai: OpenAIStandin | undefined;
  let fleet: Fleet | undefined;

  /** Runs one section; a failure is reported in the table and the run goes on. */
  const section = async (key: string, name: string, fn: () => Promise<Row[]>) => {
    if (opts.only.size > 0 && !opts.only.has(key)) return;
    log(`${name}…`);
    const t = performance.now();
    try {
      rows.push(...(await fn()));
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      failures.push(`${name}: ${message}`);
      rows.push({ section: name, figure: 'failed', value: message ?? 'error' });
    } finally {
      await fleet?.stopAll();
      log(`${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  };

  const onSignal = () => {
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const redis = await startTestRedis();
    slack = await startSlackApi();
    openai = await startOpenAI({ ttftMs: 0, tokensPerSecond: Number.POSITIVE_INFINITY });
    const ctx: BenchContext = { redis, slack, openai, logLevel: opts.logLevel };
    fleet = new Fleet(ctx);
    const f = fleet;

    await section('tokens', 'Token counting', benchTokens);
    await section('home', 'Home inbox', async () => {
      const h = await benchHome(ctx, opts.homeRecords);
      return [
        {
          section: 'Home inbox',
          figure: `Redis read of ${h.records} records (listForUser)`,
          value: ms(h.listMs),
          how: 'median of 30; one ZREVRANGE + pipelined HGETALL',
        },
        {
          section: 'Home inbox',
          figure: `buildHomeView on ${h.records} records`,
          value: ms(h.buildMs),
          how: `median of 100; grouping, counts, first page (${bytes(h.viewBytes)} of JSON)`,
        },
        {
          section: 'Home inbox',
          figure: 'our own time (read + build)',
          value: ms(h.listMs + h.buildMs),
          aim: '< 50 ms',
          how: 'sum of the two medians above; nothing subtracted',
        },
        {
          section: 'Home inbox',
          figure: 'whole publish incl. views.publish',
          value: ms(h.publishMs),
          how: 'createHomeService().publish: read, prefs, build, JSON, HTTP to the in-process stand-in',
        },
        {
          section: 'Home inbox',
          figure: 'Redis bytes per request record (synthetic)',
          value: bytes(h.recordHashBytes + h.indexBytesPerEntry),
          aim: '< 2 KB',
          how: `MEMORY USAGE: hash ${bytes(h.recordHashBytes)} + index share ${bytes(h.indexBytesPerEntry)}, ${h.records} records of one user; results excluded`,
        },
      ];
    });

    let bareRates: DrainResult[] = [];
    await section('bare', 'Bare BullMQ', async () => {
      bareRates = [];
      for (const w of opts.workers)
        bareRates.push(
          await benchBareDrain(ctx, f, { workers: w, jobs: opts.bareJobs, concurrency: opts.concurrency }),
        );
      return [];
    });

    const ackOpts = { rate: opts.rate, durationS: opts.durationS, warmS: 2, users: 200, answerWaitS: 20 };
    await section('ack', 'Ack latency', async () => {
      const bare = await benchBareAck(ctx, f, ackOpts);
      const floor = ackFigures(bare);
      const home = await benchBotAck(ctx, f, ackOpts, 'home');
      const dm = await benchBotAck(ctx, f, ackOpts, 'dm');
      const h = ackFigures(home);
      const d = ackFigures(dm);
      const writes = Object.entries(dm.writesByMethod)
        .sort((a, c) => c[1] - a[1])
        .map(([m, n]) => `${m} ${(n / Math.max(1, dm.answered)).toFixed(2)}`)
        .join(', ');
      const load = (r: AckRun) =>
        `${r.sent} events at ${num(r.achievedRate)}/s after ${ackOpts.warmS} s of warm-up; ${r.non200} not 200, ${r.late} over 3 s`;
      return [
        {
          section: 'Ack latency',
          figure: 'floor: bare Bolt app, p50 / p99 / max',
          value: spread(bare.latencies),
          how: `DM events; ${load(bare)}`,
        },
        {
          section: 'Ack latency',
          figure: 'bot, intake only (app_home_opened), p50 / p99 / max',
          value: spread(home.latencies),
          how: `each claimed + written to Redis before the ack, then one Home publish; ${load(home)}`,
        },
        {
          section: 'Ack latency',
          figure: 'bot / floor, intake only (p50, p99)',
          value: `${ratio(h.p50, floor.p50)}, ${ratio(h.p99, floor.p99)}`,
          aim: 'p99 ≤ 1.5×',
        },
        {
          section: 'Ack latency',
          figure: 'bot, DMs it answers, p50 / p99 / max',
          value: spread(dm.latencies),
          how: `each claimed + written before the ack, then answered in the same web process (+1 worker) with the instant LLM; ${load(dm)}`,
        },
        {
          section: 'Ack latency',
          figure: 'bot / floor, DMs answered (p50, p99)',
          value: `${ratio(d.p50, floor.p50)}, ${ratio(d.p99, floor.p99)}`,
          aim: 'p99 ≤ 1.5×',
        },
        {
          section: 'Ack latency',
          figure: 'DMs answered / sent into the overflow queue',
          value: `${dm.answered} of ${dm.expected} / ${dm.overflowed}`,
          how:
            dm.answered >= dm.expected
              ? `all answered ${dm.drainS.toFixed(1)} s after the last event`
              : `stopped waiting ${dm.drainS.toFixed(1)} s after the last event`,
        },
        {
          section: 'Ack latency',
          figure: 'Slack writes per DM answer under this load',
          value: (dm.writeCalls / Math.max(1, dm.answered)).toFixed(2),
          how: writes,
        },
      ];
    });

    const signLlm: LlmShape = { ttftMs: 300, tokensPerSecond: 60, words: 60 };
    await section('mention', 'Mention → answer', async () => {
      const r = await benchFirstSign(ctx, f, opts.mentions, signLlm);
      const byMethod = Object.entries(r.writesByMethod)
        .sort((a, c) => c[1] - a[1])
        .map(([m, n]) => `${m} ${n.toFixed(1)}`)
        .join(', ');
      return [
        {
          section: 'Mention → answer',
          figure: 'mention → first visible sign, p50 / p99 / max',
          value: spread(r.firstSignMs),
          how: `${r.n} top-level mentions one at a time; first setStatus / placeholder / startStream, by the stand-in's call time`,
        },
        {
          section: 'Mention → answer',
          figure: 'mention → first answer text, minus TTFT, p50 / p99 / max',
          value: spread(r.firstTextMs),
          how: `LLM stand-in TTFT ${signLlm.ttftMs} ms subtracted; ${signLlm.tokensPerSecond} tokens/s, ${signLlm.words} words; ${r.streamed} of ${r.n} natively streamed, the rest posted (mentions came at ${num(r.perMinute)}/min)`,
        },
        {
          section: 'Mention → answer',
          figure: 'Slack writes per answer',
          value: `${num(mean(r.writesPerAnswer), 1)} (max ${max(r.writesPerAnswer)})`,
          how: `${WRITE_METHODS_NOTE}: ${byMethod}`,
        },
        {
          section: 'Mention → answer',
          figure: 'Slack reads per answer',
          value: num(mean(r.readsPerAnswer), 1),
          how: `conversations.replies + users.info; ${r.failed} of ${r.n} answers incomplete`,
        },
      ];
    });

    const burstLlm: LlmShape = { ttftMs: 300, tokensPerSecond: 60, words: 90 };
    await section('burst', 'Concurrent streams', async () => {
      const free = await benchBurst(ctx, f, opts.burst, burstLlm, false);
      const limited = await benchBurst(ctx, f, opts.burst, burstLlm, true);
      const describe = (r: typeof free) =>
        `${r.answered} answered, ${r.failed} failed, ${r.pending} unfinished; ${r.streamed} natively streamed`;
      const limitedBy = Object.entries(limited.rateLimitedByMethod)
        .map(([m, n]) => `${m} ${n}`)
        .join(', ');
      return [
        {
          section: 'Concurrent streams',
          figure: `${opts.burst} answers at once, limits off: latency p50 / max`,
          value: `${ms(median(free.latencyMs))} / ${ms(max(free.latencyMs))}`,
          how: `mention → last chat.* write; ${describe(free)}; ${burstLlm.words} words at ${burstLlm.tokensPerSecond} tok/s after ${burstLlm.ttftMs} ms, one channel each`,
        },
        {
          section: 'Concurrent streams',
          figure: `${opts.burst} answers at once, limits on: latency p50 / max`,
          value: `${ms(median(limited.latencyMs))} / ${ms(max(limited.latencyMs))}`,
          how: `${describe(limited)}; p50 cost of the limits ${ms(median(limited.latencyMs) - median(free.latencyMs))} (over the answered ones only)`,
        },
        {
          section: 'Concurrent streams',
          figure: '429s received with rate limits on',
          value: String(limited.rateLimited),
          aim: '0',
          how: limitedBy || "stand-in's Slack limits (DEFAULT_RATE_LIMITS)",
        },
      ];
    });

    await section('background', 'Background', async () => {
      const idle = await benchIdleQueue(ctx, f, opts.idleJobs);
      const byMethod = Object.entries(idle.writesByMethod)
        .sort((a, c) => c[1] - a[1])
        .map(([m, n]) => `${m} ${n.toFixed(1)}`)
        .join(', ');
      const out: Row[] = [
        {
          section: 'Background',
          figure: 'enqueue → start, idle queue, p50 / p99',
          value: `${ms(median(idle.enqueueToStartMs))} / ${ms(percentile(idle.enqueueToStartMs, 99))}`,
          how: `${idle.enqueueToStartMs.length} \`@bot later\` mentions one at a time; job timestamp → LLM stand-in request (worker pickup alone: p50 ${ms(median(idle.enqueueToPickupMs))}); mention → enqueue p50 ${ms(median(idle.mentionToEnqueueMs))}`,
        },
        {
          section: 'Background',
          figure: 'Slack writes per background answer',
          value: `${num(mean(idle.writesPerAnswer), 1)} (max ${max(idle.writesPerAnswer)})`,
          how: byMethod,
        },
      ];
      for (const w of opts.workers) {
        const bot = await benchBotDrain(ctx, f, {
          workers: w,
          jobs: opts.jobs,
          concurrency: opts.concurrency,
        });
        const bare = bareRates.find((b) => b.workers === w);
        const cpu = (r: DrainResult | undefined) =>
          r
            ? Object.entries(r.cpuMsPerJob)
                .map(([k, v]) => `${k === 'bench' ? 'stand-ins' : k} ${v.toFixed(2)}`)
                .join(', ')
            : 'n/a';
        out.push({
          section: 'Background',
          figure: `jobs/s, ${w} worker process${w > 1 ? 'es' : ''} × concurrency ${opts.concurrency} (bare BullMQ)`,
          value: `${num(bot.jobsPerSecond, 1)} (${num(bare?.jobsPerSecond ?? Number.NaN)})`,
          how: `bot/bare ${ratio(bot.jobsPerSecond, bare?.jobsPerSecond ?? Number.NaN)}; ${bot.completed}/${bot.jobs} done, ${bot.failed} failed, ${bot.drainS.toFixed(1)} s; CPU ms/job: ${cpu(bot)}; bare (${bare?.jobs ?? 0} no-op jobs): ${cpu(bare)}`,
        });
      }
      return out;
    });

    await section('footprint', 'Redis footprint', async () => {
      const real = await realRecordBytes(ctx.redis.url);
      return [
        {
          section: 'Redis footprint',
          figure: 'Redis bytes per request record (written by the bot)',
          value: bytes(real.recordHashBytes + real.indexBytesPerEntry),
          aim: '< 2 KB',
          how: `hash ${bytes(real.recordHashBytes)} + index share ${bytes(real.indexBytesPerEntry)} over ${real.records} records; excluded: results ${bytes(real.resultBytes)} (×${real.results}), retry copy of the job ${bytes(real.jobCopyBytes)} (×${real.jobCopies})`,
        },
      ];
    });

    const kib = (kb: number | undefined) =>
      kb === undefined || !Number.isFinite(kb) ? 'n/a' : bytes(kb * 1024);
    const webPeak = fleet.peak('web');
    const workerPeak = fleet.peak('worker');
    rows.push(
      {
        section: 'Memory',
        figure: 'peak RSS, web process',
        value: kib(webPeak?.kb),
        how: `VmHWM, highest over all web processes (in: ${webPeak?.phase ?? 'n/a'})`,
      },
      {
        section: 'Memory',
        figure: 'peak RSS, worker process',
        value: kib(workerPeak?.kb),
        how: `VmHWM, highest over all worker processes (in: ${workerPeak?.phase ?? 'n/a'})`,
      },
      {
        section: 'Memory',
        figure: 'RSS once started, idle: web / worker',
        value: `${kib(median(fleet.idleRss.web ?? []))} / ${kib(median(fleet.idleRss.worker ?? []))}`,
        how: 'VmRSS when /healthz first answers, median over the processes started',
      },
      {
        section: 'Memory',
        figure: 'peak RSS, bare Bolt / bare BullMQ worker',
        value: `${kib(fleet.peak('bare-bolt')?.kb)} / ${kib(fleet.peak('bare-bullmq')?.kb)}`,
      },
    );
  } finally {
    await fleet?.stopAll();
    fleet?.close();
    await Promise.allSettled([slack?.close(), openai?.close()]);
    await stopAll();
  }

  const cpu = os.cpus();
  const runtimeS = (performance.now() - started) / 1000;
  process.stdout.write(
    [
      '',
      `Backchannel bench — ${new Date().toISOString()}`,
      `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`,
      `Load average before / after: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (other work on the machine skews every figure)`,
      `Stand-ins for Slack and OpenAI and a throwaway redis-server (no AOF) on loopback; the bot runs as \`node dist/src/main.js --role web|worker\` with LOG_LEVEL=${opts.logLevel}. Total ${runtimeS.toFixed(0)} s.`,
      '',
      renderTable(rows),
      '',
      ...(failures.length ? ['Failed sections:', ...failures.map((f) => `- ${f}`), ''] : []),
    ].join('\n'),
  );
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
