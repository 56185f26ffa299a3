import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/core/logger.js';
import type { RequestState } from '../../src/core/request-types.js';
import { buildHomeView } from '../../src/out/views/home-view.js';
import { singleWorkspace } from '../../src/out/workspaces.js';
import { createOverviewService } from '../../src/overview/service.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createPrefs } from '../../src/sessions/prefs.js';
import { createRequestStore } from '../../src/sessions/requests.js';
import type { BenchContext } from './procs.js';
import type { Section } from './section.js';
import { bytes, mean, median, ms } from './stats.js';

/**
 * The Home inbox of a heavy user, in this process against the throwaway Redis: the Redis read of
 * their records (createRequestStore().listForUser), the Block Kit build (buildHomeView), and the
 * whole publish (createOverviewService().publish, views.publish to the Slack stand-in included). Then
 * what a request record costs in Redis (MEMORY USAGE of its hash plus its share of the user index).
 */

const TITLES = [
  'How do I rotate the staging keys before the release on Friday?',
  'Summarise the incident timeline for the payments outage',
  'What does the retry policy of the billing worker look like, and who owns it?',
  'Draft a reply to the customer about the delayed export',
  'Why is the nightly build slower since Tuesday?',
  'Which dashboards show p99 latency for the search API?',
];

const STATES: RequestState[] = [
  'done',
  'done',
  'done',
  'answering',
  'queued',
  'running',
  'failed',
  'cancelled',
];

/** Median of `runs` timings of `fn` after `warm` unmeasured runs. */
const timeIt = async (warm: number, runs: number, fn: () => unknown): Promise<number> => {
  for (let i = 0; i < warm; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
};

const memoryUsage = async (redis: Redis, key: string): Promise<number> =>
  Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));

export interface HomeResult {
  records: number;
  listMs: number;
  buildMs: number;
  publishMs: number;
  viewBytes: number;
  recordHashBytes: number;
  indexBytesPerEntry: number;
}

export const benchHome = async (ctx: BenchContext, records: number): Promise<HomeResult> => {
  const redis = new Redis(ctx.redis.url);
  const prefix = '{bench-home}';
  const keys = createKeys(prefix);
  const teamId = ctx.slack.teamId;
  const userId = 'UHOMEHEAVY';
  let clock = Date.now() - records * 60_000;
  const store = createRequestStore({ redis, keys, retentionSeconds: 7 * 86_400, now: () => clock });
  try {
    const ids: string[] = [];
    for (let i = 0; i < records; i++) {
      clock += 60_000;
      const channelId = `C${String(1000 + (i % 40)).padStart(8, '0')}`;
      const ts = `${Math.floor(clock / 1000)}.${String(i).padStart(6, '0')}`;
      const state = STATES[i % STATES.length] ?? 'done';
      const background = i % 2 === 0;
      const id = `${teamId}:${channelId}:${ts}`;
      ids.push(id);
      await store.create({
        id,
        teamId,
        userId,
        channelId,
        threadTs: ts,
        badgeTs: ts,
        title: TITLES[i % TITLES.length] ?? '',
        state,
        path: background ? 'background' : 'foreground',
        ...(background ? { jobId: `answer_${id.replace(/:/g, '_')}` } : {}),
        ...(state === 'queued' ? { position: 3 } : {}),
        ...(state === 'failed' ? { error: 'The model took too long to answer. Please ask again.' } : {}),
      });
      if (background && state === 'done' && i % 4 === 0) await store.update(id, { unread: true });
    }

    const listed = await store.listForUser(teamId, userId);
    if (listed.length !== records) throw new Error(`listForUser returned ${listed.length} of ${records}`);
    const listMs = await timeIt(5, 30, () => store.listForUser(teamId, userId));
    const viewOpts = {
      now: Date.now(),
      page: 0,
      dmOnResult: false,
      permalinks: () => 'https://bench.slack.com/archives/C1/p1',
      hasResult: () => true,
      botUserId: 'U0BOT',
    };
    const buildMs = await timeIt(20, 100, () => buildHomeView(listed, viewOpts));
    const viewBytes = Buffer.byteLength(JSON.stringify(buildHomeView(listed, viewOpts)));

    const client = new WebClient('xoxb-bench', { slackApiUrl: ctx.slack.apiUrl });
    const home = createOverviewService({
      client,
      requests: store,
      prefs: createPrefs({ redis, keys }),
      identity: { url: 'https://bench.slack.com/', botUserId: 'U0BOT' },
      logger: createLogger({ level: 'silent' }),
      workspaces: singleWorkspace({ botUserId: 'U0BOT', botId: 'B0BOT', teamId }, 'xoxb-bench'),
    });
    const publishMs = await timeIt(3, 20, () => home.publish(teamId, userId));

    const hashBytes: number[] = [];
    for (const id of ids) hashBytes.push(await memoryUsage(redis, keys.request(id)));
    const indexBytes = await memoryUsage(redis, keys.userRequests(teamId, userId));
    return {
      records,
      listMs,
      buildMs,
      publishMs,
      viewBytes,
      recordHashBytes: mean(hashBytes),
      indexBytesPerEntry: indexBytes / records,
    };
  } finally {
    redis.disconnect();
  }
};

export interface RealRecordBytes {
  records: number;
  recordHashBytes: number;
  indexBytesPerEntry: number;
  jobCopyBytes: number;
  jobCopies: number;
  resultBytes: number;
  results: number;
}

/** Every record the bot itself wrote during the bench (all `{bench-*}` prefixes). */
export const realRecordBytes = async (redisUrl: string): Promise<RealRecordBytes> => {
  const redis = new Redis(redisUrl);
  try {
    const scan = async (match: string): Promise<string[]> => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      return found;
    };
    const all = (await scan('{bench-*}:req:*')).filter((k) => !k.startsWith('{bench-home}:'));
    const records = all.filter((k) => !k.endsWith(':result') && !k.endsWith(':job'));
    const jobs = all.filter((k) => k.endsWith(':job'));
    const results = all.filter((k) => k.endsWith(':result'));
    const sizes = async (list: string[]) => {
      const sample = list.slice(0, 2000);
      const out: number[] = [];
      for (const k of sample) out.push(await memoryUsage(redis, k));
      return mean(out);
    };
    const indexes = (await scan('{bench-*}:user:*:requests')).filter((k) => !k.startsWith('{bench-home}:'));
    let indexBytes = 0;
    let entries = 0;
    for (const k of indexes) {
      indexBytes += await memoryUsage(redis, k);
      entries += await redis.zcard(k);
    }
    return {
      records: records.length,
      recordHashBytes: await sizes(records),
      indexBytesPerEntry: entries ? indexBytes / entries : Number.NaN,
      jobCopyBytes: await sizes(jobs),
      jobCopies: jobs.length,
      resultBytes: await sizes(results),
      results: results.length,
    };
  } finally {
    redis.disconnect();
  }
};

export const homeSection: Section = {
  key: 'home',
  name: 'Home inbox',
  run: async ({ ctx, opts }) => {
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
        how: 'createOverviewService().publish: read, prefs, build, JSON, HTTP to the in-process stand-in',
      },
      {
        section: 'Home inbox',
        figure: 'Redis bytes per request record (synthetic)',
        value: bytes(h.recordHashBytes + h.indexBytesPerEntry),
        aim: '< 2 KB',
        how: `MEMORY USAGE: hash ${bytes(h.recordHashBytes)} + index share ${bytes(h.indexBytesPerEntry)}, ${h.records} records of one user; results excluded`,
      },
    ];
  },
};

/** What the records the bot itself wrote in the sections before cost in Redis. */
export const footprintSection: Section = {
  key: 'footprint',
  name: 'Redis footprint',
  run: async ({ ctx }) => {
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
  },
};
