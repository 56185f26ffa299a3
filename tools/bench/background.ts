import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES } from '../../src/queue/registry.js';
import type { BotProcess } from '../../standins/processes.js';
import { answerOfWords, id, MARKER, mention } from './answers.js';
import { type DrainResult, fillBacklog, jobKey, redisPids, timeDrain } from './drain.js';
import type { BenchContext, Fleet } from './procs.js';
import { perMethod, type Section } from './section.js';
import { channelOf, isWrite, waitForThreads } from './slack-calls.js';
import { max, mean, median, ms, num, percentile, type Row, ratio, sleep } from './stats.js';

/**
 * The background pipeline: `@bot later …` requests, from enqueue (the BullMQ job's `timestamp`,
 * set by the web process's `queue.add`) to start (the LLM stand-in receiving the request), and
 * how fast worker processes drain a backlog, beside bare BullMQ workers with a no-op processor
 * (bare.ts).
 */

const DONE_EMOJI = 'white_check_mark';

const instantLlm = (ctx: BenchContext) =>
  ctx.openai.configure({ ttftMs: 0, tokensPerSecond: Number.POSITIVE_INFINITY, text: answerOfWords(40) });

export interface IdleResult {
  n: number;
  enqueueToStartMs: number[];
  enqueueToPickupMs: number[];
  mentionToEnqueueMs: number[];
  writesPerAnswer: number[];
  writesByMethod: Record<string, number>;
  failed: number;
}

/** `later` mentions one at a time on an idle queue (one web, one worker), each finished before the next. */
export const benchIdleQueue = async (ctx: BenchContext, fleet: Fleet, n: number): Promise<IdleResult> => {
  const prefix = '{bench-idle}';
  const web = await fleet.startBot('web', 'idle queue', prefix);
  const worker = await fleet.startBot('worker', 'idle queue', prefix);
  const redis = new Redis(ctx.redis.url);
  instantLlm(ctx);
  const result: IdleResult = {
    n,
    enqueueToStartMs: [],
    enqueueToPickupMs: [],
    mentionToEnqueueMs: [],
    writesPerAnswer: [],
    writesByMethod: {},
    failed: 0,
  };
  try {
    const one = async (text: string) => {
      const token = id('bgq');
      const llmFrom = ctx.openai.requests().length;
      const m = await mention(ctx, web.url, `later ${token} ${text}`);
      const req = await ctx.openai.waitForRequests(llmFrom + 1, 20_000).then(() =>
        ctx.openai
          .requests()
          .slice(llmFrom)
          .find((r) => JSON.stringify(r.messages).includes(token)),
      );
      const [timestamp, processedOn] = await redis.hmget(
        jobKey(prefix, ctx.slack.teamId, m.channel, m.ts),
        'timestamp',
        'processedOn',
      );
      const outcome = await waitForThreads(ctx.slack, [m], MARKER, 20_000);
      await ctx.slack.waitFor(
        () => ctx.slack.reactions(m.channel, m.ts).includes(DONE_EMOJI),
        10_000,
        'the done badge',
      );
      return { m, req, timestamp: Number(timestamp), processedOn: Number(processedOn), ok: outcome[0] };
    };
    await one('warm-up, ignore');
    const measuredFrom = ctx.slack.calls().length;
    const sent: Awaited<ReturnType<typeof one>>['m'][] = [];
    for (let i = 0; i < n; i++) {
      const r = await one(`what is left in the backlog? (${i})`);
      sent.push(r.m);
      if (r.ok !== 'answered' || !r.req || !r.timestamp) {
        result.failed++;
        continue;
      }
      result.enqueueToStartMs.push(r.req.at - r.timestamp);
      result.enqueueToPickupMs.push(r.processedOn - r.timestamp);
      result.mentionToEnqueueMs.push(r.timestamp - r.m.sentAt);
    }
    await sleep(2_500); // the coalesced Home re-publish
    const calls = ctx.slack.calls().slice(measuredFrom);
    for (const m of sent) {
      const writes = calls.filter(
        (c) =>
          isWrite(c.method) &&
          (channelOf(c) === m.channel || (c.method === 'views.publish' && c.params.user_id === m.user)),
      );
      for (const c of writes) result.writesByMethod[c.method] = (result.writesByMethod[c.method] ?? 0) + 1;
      result.writesPerAnswer.push(writes.length);
    }
    for (const k of Object.keys(result.writesByMethod))
      result.writesByMethod[k] = (result.writesByMethod[k] ?? 0) / Math.max(1, sent.length);
    return result;
  } finally {
    redis.disconnect();
    await fleet.stop(web);
    await fleet.stop(worker);
  }
};

/**
 * A backlog of `jobs` later-requests, fed by one web process into a paused queue; then `workers`
 * worker processes (WORKER_CONCURRENCY = `concurrency`) start, the queue resumes, and we time the
 * drain. Instant LLM and instant Slack, so this is the bot's own per-job cost.
 */
export const benchBotDrain = async (
  ctx: BenchContext,
  fleet: Fleet,
  opts: { workers: number; jobs: number; concurrency: number },
): Promise<DrainResult> => {
  const prefix = `{bench-drain${opts.workers}}`;
  const phase = `drain, ${opts.workers} worker${opts.workers > 1 ? 's' : ''}`;
  const redis = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
  const answers = new Queue(QUEUES.answers.name, { connection: redis, prefix });
  const intake = new Queue(QUEUES.intake.name, { connection: redis, prefix });
  instantLlm(ctx);
  let web: BotProcess | undefined;
  const workers: BotProcess[] = [];
  try {
    await answers.pause();
    web = await fleet.startBot('web', phase, prefix);
    const url = web.url;
    const keys = await fillBacklog(ctx, { url, prefix, jobs: opts.jobs, tag: 'tp', answers, intake });
    workers.push(
      ...(await Promise.all(
        Array.from({ length: opts.workers }, () =>
          fleet.startBot('worker', phase, prefix, { WORKER_CONCURRENCY: String(opts.concurrency) }),
        ),
      )),
    );
    return await timeDrain({
      ...opts,
      queue: answers,
      redis,
      keys,
      pids: { workers: workers.map((w) => w.pid), web: [web.pid], redis: redisPids(ctx) },
      timeoutMs: 300_000,
    });
  } finally {
    await Promise.allSettled(workers.map((w) => fleet.stop(w)));
    if (web) await fleet.stop(web);
    await Promise.allSettled([answers.close(), intake.close()]);
    redis.disconnect();
  }
};

const cpuNote = (r: DrainResult | undefined) =>
  r
    ? Object.entries(r.cpuMsPerJob)
        .map(([k, v]) => `${k === 'bench' ? 'stand-ins' : k} ${v.toFixed(2)}`)
        .join(', ')
    : 'n/a';

export const backgroundSection: Section = {
  key: 'background',
  name: 'Background',
  run: async ({ ctx, fleet, opts, shared }) => {
    const idle = await benchIdleQueue(ctx, fleet, opts.idleJobs);
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
        how: perMethod(idle.writesByMethod, 1),
      },
    ];
    for (const w of opts.workers) {
      const bot = await benchBotDrain(ctx, fleet, {
        workers: w,
        jobs: opts.jobs,
        concurrency: opts.concurrency,
      });
      const bare = shared.bareRates.find((b) => b.workers === w);
      out.push({
        section: 'Background',
        figure: `jobs/s, ${w} worker process${w > 1 ? 'es' : ''} × concurrency ${opts.concurrency} (bare BullMQ)`,
        value: `${num(bot.jobsPerSecond, 1)} (${num(bare?.jobsPerSecond ?? Number.NaN)})`,
        how: `bot/bare ${ratio(bot.jobsPerSecond, bare?.jobsPerSecond ?? Number.NaN)}; ${bot.completed}/${bot.jobs} done, ${bot.failed} failed, ${bot.drainS.toFixed(1)} s; CPU ms/job: ${cpuNote(bot)}; bare (${bare?.jobs ?? 0} no-op jobs): ${cpuNote(bare)}`,
      });
    }
    return out;
  },
};
