import { rmSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDriver } from '../../standins/driver/index.js';
import { type BotProcess, startBot, stopAll, waitFor } from '../support/processes.js';
import { rawExchange, writeAll } from '../support/raw-http.js';
import {
  answerText,
  e2eEnv,
  emptyWorkDir,
  fileStandins,
  llmRequestsFor,
  SIGNING_SECRET,
  uniqueId,
  uniquePrefix,
  uniqueQuestion,
} from './helpers.js';

/**
 * The HTTP edge of the built bot as a child process: requests that used to end the process or get
 * the wrong answer, each proven against a real process (its exit is what matters).
 */

const BODY_LIMIT = 64 * 1024;

const { slack, openai } = await fileStandins({
  ttftMs: 0,
  tokensPerSecond: Number.POSITIVE_INFINITY,
  text: answerText,
});
const workDir = emptyWorkDir();

afterAll(async () => {
  await stopAll();
  rmSync(workDir, { recursive: true, force: true });
});

const startE2EBot = (name: string, extra: Record<string, string> = {}): Promise<BotProcess> =>
  startBot({
    env: e2eEnv({
      slack,
      openai,
      redisUrl: inject('redisUrl'),
      prefix: uniquePrefix(name),
      extra: { BODY_LIMIT_BYTES: String(BODY_LIMIT), ...extra },
    }),
    cwd: workDir,
  });

const healthz = async (bot: BotProcess) => (await fetch(`${bot.url}/healthz`)).status;

describe('requests that used to end the process', () => {
  // A bot per test: on the code before the fix, each of them killed its process on its own.
  it('answers GET //, /\\, //[ and //healthz with 400 and lives', async () => {
    const bot = await startE2EBot('targets');
    for (const target of ['//', '/\\', '//[', '//healthz']) {
      const res = await rawExchange(
        bot.port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(res.statuses, target).toEqual([400]);
    }
    expect(await healthz(bot)).toBe(200);
    expect(bot.exitInfo()).toBeUndefined();
  });

  it('answers a signed JSON null and a signed payload=null with 4xx and lives', async () => {
    const bot = await startE2EBot('nulls');
    const driver = createDriver({ url: bot.url, signingSecret: SIGNING_SECRET, slack });
    const acks = [
      await driver.send('null'),
      await driver.send('payload=null', { contentType: 'application/x-www-form-urlencoded' }),
      await driver.send(JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: 'x' })),
    ];
    expect(acks.map((a) => a.status)).toEqual([400, 400, 400]);
    // A rejection nobody handles takes a moment to end a process: give it one.
    await new Promise((r) => setTimeout(r, 300));
    expect(await healthz(bot)).toBe(200);
    expect(bot.exitInfo()).toBeUndefined();
    expect(bot.logs().filter((l) => l.msg === 'unhandled promise rejection')).toEqual([]);
  });
});

describe('a chunked body over the cap', () => {
  it('lets a client that uploads it whole before reading get its 413, not a reset', async () => {
    const bot = await startE2EBot('chunked');
    const chunk = Buffer.alloc(16 * 1024, 'y');
    const res = await rawExchange(
      bot.port,
      async (socket) => {
        await writeAll(
          socket,
          'POST /slack/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n' +
            'transfer-encoding: chunked\r\n\r\n',
        );
        // 1 MiB in all, 16 times the cap, sent before the client looks at any answer.
        for (let i = 0; i < 64; i++) await writeAll(socket, `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        await writeAll(socket, '0\r\n\r\n');
      },
      { readAfterSend: true, timeoutMs: 10_000 },
    );
    expect(res.error).toBeUndefined();
    expect(res.statuses).toEqual([413]);
    expect(res.text).toContain('Request body too large');
    expect(await healthz(bot)).toBe(200);
  });
});

describe('SIGTERM with an answer stuck in flight', () => {
  it('waits SHUTDOWN_TIMEOUT_MS, hands the work back and exits 1', async () => {
    const shutdownMs = 2_000;
    const bot = await startE2EBot('stuck', {
      SHUTDOWN_TIMEOUT_MS: String(shutdownMs),
      LLM_TIMEOUT_MS: '60000',
    });
    await bot.waitForLog((l) => l.msg === 'backchannel started');
    openai.failNext({ kind: 'hang' });
    const question = uniqueQuestion('never answered');
    const driver = createDriver({ url: bot.url, signingSecret: SIGNING_SECRET, slack });
    await driver.mention({ channel: uniqueId('C'), user: uniqueId('U'), text: question });
    await waitFor(() => llmRequestsFor(openai, question).length > 0, {
      timeoutMs: 10_000,
      what: 'the LLM call',
    });

    const started = performance.now();
    const exit = await bot.stop(30_000);
    const ms = performance.now() - started;

    expect(exit).toEqual({ code: 1, signal: null });
    expect(ms).toBeGreaterThanOrEqual(shutdownMs - 100);
    // The deadline plus the grace for the steps still due, and a margin for a busy machine.
    expect(ms).toBeLessThan(shutdownMs + 3_000 + 2_000);
    expect(
      bot.logs().some((l) => l.msg === 'shutdown was forced: some work was handed back unfinished'),
    ).toBe(true);
  });
});
