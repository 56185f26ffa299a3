import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import type { SlackCall } from '../out/slack-call.js';
import type { Keys } from '../sessions/keys.js';
import { dayOf } from '../sessions/usage.js';

/**
 * The admin's 30-day trend as a PNG: a vega-lite bar chart rendered to SVG headless (no canvas),
 * then to PNG with resvg. Both are loaded on the first chart only (an idle process, or one whose
 * admins never open Home, holds none of them), and the upload is cached per workspace in Redis: a
 * new one at most once an hour, or when the UTC day changes.
 */

/** A chart is re-rendered and uploaded at most this often per workspace. */
export const CHART_TTL_SECONDS = 3_600;

export const renderTrendPng = async (days: { day: string; tokens: number }[]): Promise<Buffer> => {
  const [vega, vegaLite, { Resvg }] = await Promise.all([
    import('vega'),
    import('vega-lite'),
    import('@resvg/resvg-js'),
  ]);
  const spec = vegaLite.compile({
    width: 560,
    height: 160,
    background: 'white',
    data: { values: days.map((d) => ({ day: d.day.slice(5), tokens: d.tokens })) },
    mark: { type: 'bar', color: '#4a154b' },
    encoding: {
      x: { field: 'day', type: 'ordinal', title: null, axis: { labelAngle: -45 } },
      y: { field: 'tokens', type: 'quantitative', title: 'tokens' },
    },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } })
      .render()
      .asPng();
  } finally {
    view.finalize();
  }
};

export interface UsageChartDeps {
  client: Pick<WebClient, 'filesUploadV2'>;
  call?: SlackCall | undefined;
  redis: Redis;
  keys: Pick<Keys, 'usageChart'>;
  logger: Logger;
  now?: () => number;
  render?: typeof renderTrendPng;
}

/**
 * The chart's Slack file id for a workspace, uploaded afresh when the cached one is older than an
 * hour or from another day. The file is uploaded with `files.uploadV2` (getUploadURLExternal, the
 * upload, completeUploadExternal) and shared in no channel: the Home tab's image block refers to
 * it by id (`slack_file`).
 */
export const createUsageChart = (deps: UsageChartDeps) => {
  const now = deps.now ?? Date.now;
  const render = deps.render ?? renderTrendPng;
  const log = deps.logger.child({ component: 'usage-chart' });
  return {
    async fileId(teamId: string, trend: () => Promise<{ day: string; tokens: number }[]>): Promise<string> {
      const key = deps.keys.usageChart(teamId);
      const today = dayOf(now());
      const [cachedId, cachedDay] = await deps.redis.hmget(key, 'fileId', 'day');
      if (cachedId && cachedDay === today) return cachedId;
      const png = await render(await trend());
      const upload = () =>
        deps.client.filesUploadV2({
          file: png,
          filename: `usage-${today}.png`,
          title: `Token usage, last 30 days (${today})`,
        });
      const res = deps.call ? await deps.call('files.uploadV2', '*', upload) : await upload();
      const file = (res as { files?: { files?: { id?: string }[] }[] }).files?.[0]?.files?.[0];
      if (!file?.id) throw new Error('files.uploadV2 returned no file id');
      await deps.redis
        .multi()
        .hset(key, { fileId: file.id, day: today, at: String(now()) })
        .expire(key, CHART_TTL_SECONDS)
        .exec();
      log.info({ teamId, bytes: png.length }, 'usage chart uploaded');
      return file.id;
    },
  };
};

export type UsageChart = ReturnType<typeof createUsageChart>;
