import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { MAX_JOBS_PER_PAGE } from '../../src/edge/dashboard/node-adapter.js';
import { createQueueDashboard, DASHBOARD_PATH } from '../../src/edge/dashboard/queue-dashboard.js';
import { QUEUES } from '../../src/queue/registry.js';
import { startTestBot, type TestBot } from '../support/in-process-bot.js';
import { rawExchange } from '../support/raw-http.js';
import { pause } from '../support/stack.js';

const PASSWORD = 'correct-horse-battery';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const GOOD = { authorization: basic('ops', PASSWORD) };

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('the queue dashboard, left unset', () => {
  let bot: TestBot;
  beforeAll(async () => {
    // A password alone does not turn it on.
    bot = await startTestBot({ redisUrl: inject('redisUrl'), env: { QUEUE_DASHBOARD_PASSWORD: PASSWORD } });
  });
  afterAll(() => bot.stop());

  it('is not there: 404 for the page and the API, with credentials or without', async () => {
    for (const path of [DASHBOARD_PATH, `${DASHBOARD_PATH}/`, `${DASHBOARD_PATH}/api/queues`]) {
      expect((await fetch(`${bot.base}${path}`)).status).toBe(404);
      expect((await fetch(`${bot.base}${path}`, { headers: GOOD })).status).toBe(404);
    }
  });
});

describe('the queue dashboard, on', () => {
  let bot: TestBot;
  let redis: Redis;
  let answers: Queue;
  beforeAll(async () => {
    bot = await startTestBot({
      redisUrl: inject('redisUrl'),
      // The web role alone: nothing consumes the answers queue, so the jobs added below stay put.
      role: 'web',
      env: { QUEUE_DASHBOARD: '1', QUEUE_DASHBOARD_USER: 'ops', QUEUE_DASHBOARD_PASSWORD: PASSWORD },
    });
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    answers = new Queue(QUEUES.answers.name, { connection: redis, prefix: bot.prefix });
  });
  afterAll(async () => {
    await answers.close();
    await bot.stop();
    await redis.quit();
  });

  it('answers 401 with a basic-auth challenge to every path when credentials are missing or wrong', async () => {
    const wrong = [
      {},
      { authorization: basic('ops', 'not-the-password') },
      { authorization: basic('admin', PASSWORD) },
      { authorization: `Bearer ${PASSWORD}` },
      { authorization: 'Basic !!!' },
    ];
    const paths = [
      DASHBOARD_PATH,
      `${DASHBOARD_PATH}/api/queues`,
      `${DASHBOARD_PATH}/static/favicon-32x32.png`,
    ];
    for (const headers of wrong)
      for (const path of paths) {
        const res = await fetch(`${bot.base}${path}`, { headers });
        expect(res.status, `${path} with ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
        expect(await res.text()).not.toContain('queue');
      }
    // Nothing of the password reaches the log, not even the wrong one sent.
    const log = bot.logs.lines.join('');
    expect(log).toContain('dashboard refused');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain('not-the-password');
  });

  it('serves the page, its static files and the queues with the right credentials', async () => {
    const page = await fetch(`${bot.base}${DASHBOARD_PATH}`, { headers: GOOD });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<base href="${DASHBOARD_PATH}/" />`);
    expect(html).toContain('<title>Backchannel queues</title>');
    const css = /href="(static\/css\/[^"]+\.css)"/.exec(html)?.[1];
    expect(css).toBeDefined();
    const style = await fetch(`${bot.base}${DASHBOARD_PATH}/${css}`, { headers: GOOD });
    expect(style.status).toBe(200);
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);
    // A deep link into the UI is the page too.
    expect((await fetch(`${bot.base}${DASHBOARD_PATH}/queue/answers`, { headers: GOOD })).status).toBe(200);

    const api = await fetch(`${bot.base}${DASHBOARD_PATH}/api/queues`, { headers: GOOD });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['answers', 'intake']);
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
  });

  it('never serves a file outside the UI folder', async () => {
    // Sent raw: fetch would resolve the dot segments before they reach the server.
    const paths = [
      'static/../../package.json',
      'static/..%2f..%2fpackage.json',
      'static/%2e%2e/%2e%2e/package.json',
    ];
    for (const path of [...paths, 'static/nope.js', 'static']) {
      const request = `GET ${DASHBOARD_PATH}/${path} HTTP/1.1\r\nhost: x\r\nauthorization: ${GOOD.authorization}\r\nconnection: close\r\n\r\n`;
      const res = await rawExchange(bot.bot.port, request);
      expect(res.statuses, path).toEqual([404]);
      expect(res.text).not.toContain('"version"');
    }
  });

  it("shows jobs without their users' words, a page at a time", async () => {
    const secret = 'my salary is 123456, please help';
    await answers.addBulk(
      Array.from({ length: MAX_JOBS_PER_PAGE + 5 }, (_, i) => ({
        name: QUEUES.answers.job,
        data: {
          question: secret,
          request: { text: secret, userId: 'U0ALICE', responseUrl: 'https://hooks.test/x' },
        },
        opts: { jobId: `dash-${i}`, priority: 5 },
      })),
    );
    const res = await fetch(
      `${bot.base}${DASHBOARD_PATH}/api/queues?activeQueue=answers&status=prioritized&jobsPerPage=300`,
      { headers: GOOD },
    );
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('123456');
    expect(text).not.toContain('hooks.test');
    const queue = (JSON.parse(text) as { queues: { name: string; jobs: { data: unknown }[] }[] }).queues.find(
      (q) => q.name === 'answers',
    );
    expect(queue?.jobs).toHaveLength(MAX_JOBS_PER_PAGE);
    expect(queue?.jobs[0]?.data).toEqual({
      question: `[redacted, ${secret.length} characters]`,
      request: {
        text: `[redacted, ${secret.length} characters]`,
        userId: 'U0ALICE',
        responseUrl: '[redacted, 20 characters]',
      },
    });
    // One job, by its path parameters (percent-encoded like the UI sends them).
    const one = await fetch(`${bot.base}${DASHBOARD_PATH}/api/queues/answers/dash%2D1`, { headers: GOOD });
    expect(one.status).toBe(200);
    expect(((await one.json()) as { job: { id: string } }).job.id).toBe('dash-1');
    const bad = await fetch(`${bot.base}${DASHBOARD_PATH}/api/queues/answers/%E0%A4%A`, { headers: GOOD });
    expect(bad.status).toBe(400);
  });

  it('is read-only by default: a pause or a clean is refused and Redis is unchanged', async () => {
    const pause = await fetch(`${bot.base}${DASHBOARD_PATH}/api/queues/answers/pause`, {
      method: 'PUT',
      headers: GOOD,
    });
    expect(pause.status).toBe(405);
    const clean = await fetch(`${bot.base}${DASHBOARD_PATH}/api/queues/answers/empty`, {
      method: 'PUT',
      headers: GOOD,
    });
    expect(clean.status).toBe(405);
    expect(await answers.isPaused()).toBe(false);
    expect(await answers.getJobCountByTypes('prioritized')).toBe(MAX_JOBS_PER_PAGE + 5);
  });

  it('answers a body that is not JSON with 400 and keeps serving', async () => {
    const res = await fetch(`${bot.base}${DASHBOARD_PATH}/api/queues/answers/add`, {
      method: 'POST',
      headers: { ...GOOD, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect((await fetch(`${bot.base}/healthz`)).status).toBe(200);
  });
});

describe('the queue dashboard, on without a password', () => {
  it('refuses to start, naming the setting', async () => {
    const start = startTestBot({ redisUrl: inject('redisUrl'), env: { QUEUE_DASHBOARD: 'true' } });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(/QUEUE_DASHBOARD_PASSWORD: required when QUEUE_DASHBOARD is on/);
  });
});

describe('the queue dashboard under load', () => {
  it('answers 503 past 8 API calls at once, and frees a place when a caller goes away', async () => {
    // A "Redis" that takes the connection and never answers: every API call stays in flight until
    // its caller leaves.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const connection = new Redis({ port: (silent.address() as AddressInfo).port, host: '127.0.0.1' });
    connection.on('error', () => {});
    const queue = new Queue('dashboard-load', { connection });
    queue.on('error', () => {});
    const board = createQueueDashboard({
      queues: [queue],
      user: 'ops',
      password: PASSWORD,
      readOnly: true,
      logger: createLogger({ level: 'silent' }),
    });
    const server = http.createServer((req, res) => board.handle(req, res, req.url ?? '/'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}${DASHBOARD_PATH}/api/queues`;
    try {
      const callers = Array.from({ length: 8 }, () => new AbortController());
      const pending = callers.map((c) => fetch(api, { headers: GOOD, signal: c.signal }).catch(() => {}));
      await pause(300);
      expect((await fetch(api, { headers: GOOD, signal: AbortSignal.timeout(2_000) })).status).toBe(503);
      callers[0]?.abort();
      await pause(300);
      // Taken, not refused: it waits on Redis like the others.
      await expect(fetch(api, { headers: GOOD, signal: AbortSignal.timeout(500) })).rejects.toThrow();
      for (const c of callers) c.abort();
      await Promise.all(pending);
    } finally {
      server.closeAllConnections();
      server.close();
      connection.disconnect();
      silent.close();
    }
  });
});
