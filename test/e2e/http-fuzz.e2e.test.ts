import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDriver, type SlackDriver } from '../../standins/driver/index.js';
import { hostileCase } from '../support/hostile.js';
import { type BotProcess, startBot, stopAll } from '../support/processes.js';
import { type RawResult, rawExchange, writeAll } from '../support/raw-http.js';
import {
  answerText,
  completeAnswers,
  e2eEnv,
  emptyWorkDir,
  fileStandins,
  SIGNING_SECRET,
  sleep,
  uniqueId,
  uniquePrefix,
  uniqueQuestion,
} from './helpers.js';

/**
 * Seeded fuzz of the HTTP edge against the built bot as a child process: odd raw HTTP over TCP, and
 * thousands of correctly signed bodies of hostile shapes. The process must never exit, never answer
 * a signed malformed body with a 5xx, never log an unhandled rejection, and keep answering /healthz
 * after every batch.
 */

const SEED = 20_251_212;
const BATCH = 50;
const SIGNED_BATCHES = 42;

const { slack, openai } = await fileStandins({
  ttftMs: 0,
  tokensPerSecond: Number.POSITIVE_INFINITY,
  text: answerText,
});
const workDir = emptyWorkDir();
let bot: BotProcess;
let driver: SlackDriver;
const tally = { raw: 0, signed: 0, fiveHundreds: 0, batches: 0 };

beforeAll(async () => {
  bot = await startBot({
    env: e2eEnv({ slack, openai, redisUrl: inject('redisUrl'), prefix: uniquePrefix('fuzz') }),
    cwd: workDir,
  });
  driver = createDriver({ url: bot.url, signingSecret: SIGNING_SECRET, slack });
});

afterAll(async () => {
  const exits = bot?.exitInfo() ? 1 : 0;
  console.info(
    `http fuzz (seed ${SEED}): ${tally.raw} raw requests, ${tally.signed} signed hostile bodies in ` +
      `${tally.batches} batches; process exits ${exits}, 5xx ${tally.fiveHundreds}`,
  );
  await stopAll();
  rmSync(workDir, { recursive: true, force: true });
});

/** Runs `tasks` with at most `limit` at once. */
const pool = async <T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> => {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
};

/** The process is up and answering: checked after every batch. */
const expectAlive = async () => {
  expect(bot.exitInfo(), bot.output().slice(-3000)).toBeUndefined();
  const res = await fetch(`${bot.url}/healthz`);
  expect(res.status).toBe(200);
  await res.arrayBuffer();
};

const get = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;
const post = (headers: string, body = '') =>
  `POST /slack/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\n${body}`;

type RawCase = {
  name: string;
  send: Parameters<typeof rawExchange>[1];
  readAfterSend?: boolean;
  expect?: number[];
};

const RAW_CASES: RawCase[] = [
  { name: 'GET //', send: get('//'), expect: [400] },
  { name: 'GET /\\', send: get('/\\'), expect: [400] },
  { name: 'GET //[', send: get('//['), expect: [400] },
  { name: 'absolute-form', send: get('http://example.com/healthz'), expect: [200] },
  { name: 'absolute-form, bad host', send: get('http://[/healthz'), expect: [400] },
  {
    name: 'asterisk-form',
    send: 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    expect: [400],
  },
  { name: 'CONNECT', send: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n' },
  { name: 'huge header', send: get('/healthz', `X-Big: ${'a'.repeat(20_000)}\r\n`), expect: [431] },
  { name: 'many headers', send: get('/healthz', 'X-N: 1\r\n'.repeat(3_000)) },
  { name: 'NUL in the target', send: get('/heal\u0000thz'), expect: [400] },
  { name: 'unknown version', send: 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n' },
  { name: 'HTTP/1.0 without Host', send: 'GET /healthz HTTP/1.0\r\n\r\n', expect: [200] },
  { name: 'garbage', send: '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003' },
  { name: 'content-length larger than the body', send: post('content-length: 100\r\n', '{"a":1}') },
  {
    name: 'content-length smaller than the body',
    send: post('content-type: application/json\r\ncontent-length: 2\r\n', '{}GET // HTTP/1.1\r\n\r\n'),
  },
  {
    name: 'content-length and chunked',
    send: post('content-length: 5\r\ntransfer-encoding: chunked\r\n', '0\r\n\r\n'),
    expect: [400],
  },
  {
    name: 'bad chunk size',
    send: post('transfer-encoding: chunked\r\n', 'zz\r\nhello\r\n0\r\n\r\n'),
    expect: [400],
  },
  {
    name: 'declared over the cap',
    send: post('content-type: application/json\r\ncontent-length: 2000000\r\n'),
    expect: [413],
  },
  {
    name: 'expect 100-continue over the cap',
    send: post('content-length: 2000000\r\nexpect: 100-continue\r\n'),
    expect: [413],
  },
  {
    name: 'chunked over the cap, read after sending',
    readAfterSend: true,
    expect: [413],
    send: async (socket) => {
      await writeAll(socket, post('content-type: application/json\r\ntransfer-encoding: chunked\r\n'));
      const chunk = 'z'.repeat(64 * 1024);
      for (let i = 0; i < 20; i++) await writeAll(socket, `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      await writeAll(socket, '0\r\n\r\n');
    },
  },
  {
    name: 'slow body',
    expect: [401],
    send: async (socket) => {
      await writeAll(socket, post('content-type: application/json\r\ncontent-length: 12\r\n'));
      for (const c of '{"type":"x"}') {
        await writeAll(socket, c);
        await sleep(60);
      }
    },
  },
  {
    name: 'pipelined',
    send: `GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET // HTTP/1.1\r\nHost: x\r\n\r\n${get('/healthz')}`,
    expect: [200, 400, 200],
  },
  {
    name: 'unsigned POST',
    send: post('content-type: application/json\r\ncontent-length: 2\r\n', '{}'),
    expect: [401],
  },
  { name: 'metrics', send: get('/metrics'), expect: [200] },
];

/** Random request lines and headers, as bytes on the wire. */
const rawRequest = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE', 'get', 'G\u0000T', 'PRI'),
    target: fc.oneof(
      fc.constantFrom(
        '/slack/events',
        '/healthz',
        '/metrics',
        '//',
        '/\\',
        '//[',
        '*',
        '',
        ' ',
        '/%',
        '/%00',
      ),
      fc.webPath(),
      fc.webUrl(),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }),
    ),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', ''),
    headers: fc.array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom('content-type', 'content-length', 'transfer-encoding', 'x-slack-signature', 'host'),
          fc.string({ unit: 'binary-ascii', maxLength: 12 }),
        ),
        fc.string({ unit: 'binary-ascii', maxLength: 40 }),
      ),
      { maxLength: 4 },
    ),
    body: fc.string({ unit: 'binary-ascii', maxLength: 60 }),
  })
  .map(
    (r) =>
      `${r.method} ${r.target} ${r.version}\r\nHost: x\r\nConnection: close\r\n` +
      `${r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${r.body}`,
  );

describe('the HTTP edge under fuzz', () => {
  it('answers odd raw HTTP without dying or a 5xx', async () => {
    const generated = fc.sample(rawRequest, { seed: SEED, numRuns: 240 });
    const cases: RawCase[] = [
      ...RAW_CASES,
      ...generated.map((send, i) => ({ name: `generated ${i}`, send })),
    ];
    const results = await pool(
      cases.map(
        (c) => () =>
          rawExchange(
            bot.port,
            Buffer.isBuffer(c.send) || typeof c.send === 'function' ? c.send : Buffer.from(c.send, 'latin1'),
            {
              timeoutMs: 2_500,
              ...(c.readAfterSend ? { readAfterSend: true } : {}),
            },
          ),
      ),
      16,
    );
    tally.raw += cases.length;
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const res = results[i] as RawResult;
      if (res.statuses.some((s) => s >= 500)) mismatches.push(`${c.name}: ${res.statuses}`);
      if (c.expect && JSON.stringify(res.statuses) !== JSON.stringify(c.expect))
        mismatches.push(`${c.name}: got ${res.statuses} (${res.error ?? 'no error'}), want ${c.expect}`);
    });
    tally.fiveHundreds += results.filter((r) => r.statuses.some((s) => s >= 500)).length;
    expect(mismatches).toEqual([]);
    await expectAlive();
  }, 40_000);

  it(`answers ${SIGNED_BATCHES * BATCH} signed hostile bodies with 2xx or 4xx, alive after every batch`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileCase, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const acks = await pool(
          batch.map((c) => () => driver.send(c.body, { contentType: c.contentType })),
          8,
        );
        tally.signed += batch.length;
        tally.batches++;
        const bad = acks
          .map((a, i) => ({
            status: a.status,
            late: a.late,
            error: a.error,
            label: batch[i]!.label,
            body: batch[i]!.body.slice(0, 200),
          }))
          // Every answer is a 2xx or 4xx, within Slack's 3 s.
          .filter((a) => a.status < 200 || a.status >= 500 || a.late);
        tally.fiveHundreds += bad.filter((a) => a.status >= 500).length;
        expect(bad).toEqual([]);
        await expectAlive();
      }),
      { seed: SEED, numRuns: SIGNED_BATCHES, endOnFailure: true },
    );
  }, 60_000);

  it('still answers a mention afterwards, and never logged an unhandled rejection or exception', async () => {
    const channel = uniqueId('C');
    const question = uniqueQuestion('still there after the fuzz');
    const sent = await driver.mention({ channel, user: uniqueId('U'), text: question });
    expect(sent.acks.map((a) => a.status)).toEqual([200, 200]);
    await slack.waitFor(
      () => completeAnswers(slack, channel, sent.ts, question).length > 0,
      10_000,
      'the answer',
    );
    const fatal = bot
      .logs()
      .filter((l) => l.msg === 'unhandled promise rejection' || l.msg?.startsWith('uncaught exception'));
    expect(fatal).toEqual([]);
    expect(bot.exitInfo()).toBeUndefined();
  });
});
