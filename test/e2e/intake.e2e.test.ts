import { rmSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createDriver, SLACK_ACK_DEADLINE_MS, type SlackDriver } from '../../standins/driver/index.js';
import {
  type BotProcess,
  startBot,
  startTestRedis,
  stopAll,
  waitFor,
  waitForHealth,
} from '../support/processes.js';
import {
  answerText,
  botReplies,
  callsIn,
  completeAnswers,
  e2eEnv,
  emptyWorkDir,
  fileStandins,
  llmRequestsFor,
  mentionEnvelope,
  runBotToExit,
  SIGNING_SECRET,
  shownText,
  sleep,
  uniqueId,
  uniquePrefix,
  uniqueQuestion,
} from './helpers.js';

/**
 * The intake path end to end: the built bot (`node dist/src/main.js`) as a child process, a real
 * `redis-server`, and the Slack and OpenAI stand-ins over loopback. Each test uses its own channel,
 * user and question, so requests and answers are attributed by content, never by order.
 */

/** "Well inside" Slack's 3 s: the ack does one Redis round trip and a queue write. */
const ACK_BUDGET_MS = 1500;
/** How long to keep watching after the first answer, for a duplicate that would follow it. */
const SETTLE_MS = 1500;
/**
 * JOB_LOCK_MS for the crash test: BullMQ's job lock and stalled-check interval (default 30 s).
 * The first check after the dead worker's lock has lapsed marks the job, the next moves it back to
 * wait: about two intervals, three when a check is skipped (its timer can fire a hair before its
 * own throttle key, which lives one interval, lapses). The re-run then waits for the dead
 * process's thread lock, which lives 30 s whatever JOB_LOCK_MS says: so about 30 s in all.
 */
const CRASH_LOCK_MS = 5000;
const RECOVERY_BUDGET_MS = 60_000;

const { slack, openai } = await fileStandins();
const workDir = emptyWorkDir();
const sharedRedisUrl = inject('redisUrl');
const redisDirs: string[] = [];
const ackLatencies: number[] = [];

afterAll(async () => {
  await stopAll();
  for (const dir of [workDir, ...redisDirs]) rmSync(dir, { recursive: true, force: true });
  if (ackLatencies.length > 0) {
    const sorted = [...ackLatencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(0);
    console.info(
      `intake e2e: ${sorted.length} signed event acks, p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`,
    );
  }
});

beforeEach(() => {
  openai.configure({ ttftMs: 0, tokensPerSecond: Number.POSITIVE_INFINITY, text: answerText });
});

const startE2EBot = (o: {
  prefix: string;
  redisUrl?: string;
  extra?: Record<string, string>;
}): Promise<BotProcess> =>
  startBot({
    env: e2eEnv({
      slack,
      openai,
      redisUrl: o.redisUrl ?? sharedRedisUrl,
      prefix: o.prefix,
      ...(o.extra ? { extra: o.extra } : {}),
    }),
    cwd: workDir,
  });

/**
 * Waits until start-up is over: the "started" line, then a moment for the workers' connections.
 * A SIGTERM sooner hits a start-up race in the bot (see the skipped test under SIGTERM).
 */
const pastStartup = async (bot: BotProcess): Promise<void> => {
  await bot.waitForLog((l) => l.msg === 'backchannel started');
  await sleep(500);
};

const driverFor = (bot: BotProcess): SlackDriver =>
  createDriver({ url: bot.url, signingSecret: SIGNING_SECRET, slack });

const healthz = async (bot: BotProcess): Promise<number> => {
  const res = await fetch(`${bot.url}/healthz`);
  await res.arrayBuffer();
  return res.status;
};

/** Records ack latencies and checks each is a 200 well inside Slack's deadline. */
const expectPromptAcks = (acks: { status: number; latencyMs: number }[]) => {
  for (const ack of acks) {
    ackLatencies.push(ack.latencyMs);
    expect(ack.status).toBe(200);
    expect(ack.latencyMs).toBeLessThan(ACK_BUDGET_MS);
  }
};

/**
 * Waits for a complete answer to `question` in the thread, watches a little longer, and checks it
 * was the only thing the bot posted there and the only LLM request for it.
 */
const expectOneAnswer = async (o: {
  channel: string;
  threadTs: string;
  question: string;
  timeoutMs?: number;
}) => {
  await slack.waitFor(
    () => completeAnswers(slack, o.channel, o.threadTs, o.question).length > 0,
    o.timeoutMs ?? 10_000,
    `an answer to "${o.question}"`,
  );
  await sleep(SETTLE_MS);
  const replies = botReplies(slack, o.channel, o.threadTs);
  expect(replies.map(shownText)).toHaveLength(1);
  expect(completeAnswers(slack, o.channel, o.threadTs, o.question)).toHaveLength(1);
  expect(llmRequestsFor(openai, o.question)).toHaveLength(1);
  return replies[0]!;
};

describe('one running bot', () => {
  let bot: BotProcess;
  let driver: SlackDriver;

  beforeAll(async () => {
    bot = await startE2EBot({ prefix: uniquePrefix('intake') });
    driver = driverFor(bot);
  });

  describe('signed requests', () => {
    it('acks a mention well inside 3 s and answers it in the thread', async () => {
      const channel = uniqueId('C');
      const question = uniqueQuestion('what is a backchannel');
      const sent = await driver.mention({ channel, user: uniqueId('U'), text: question });

      expectPromptAcks(sent.acks);
      expect(sent.acks.every((a) => !a.late && a.latencyMs < SLACK_ACK_DEADLINE_MS)).toBe(true);
      const answer = await expectOneAnswer({ channel, threadTs: sent.ts, question });
      // The system prompt and the question: the model saw the thread the mention started.
      expect(shownText(answer)).toMatch(/\[messages=2 last="[^"]*what is a backchannel/);
    });

    it('refuses unsigned, wrongly signed and stale requests with 401 and does nothing for them', async () => {
      const channel = uniqueId('C');
      const user = uniqueId('U');
      const question = uniqueQuestion('are you listening');
      const ts = slack.nextTs();
      slack.addMessage({ channel, ts, user, text: `<@${slack.botUserId}> ${question}` });
      const { body } = mentionEnvelope({
        slack,
        channel,
        user,
        ts,
        text: `<@${slack.botUserId}> ${question}`,
      });

      const refused = [
        await driver.unsigned(body),
        await driver.badSignature(body),
        await driver.stale(body),
      ];
      expect(refused.map((a) => a.status)).toEqual([401, 401, 401]);
      await sleep(SETTLE_MS);
      expect(callsIn(slack, channel)).toEqual([]);
      expect(llmRequestsFor(openai, question)).toEqual([]);

      // The very same body, correctly signed, is taken: the refusals were for the signature alone.
      expectPromptAcks([await driver.send(body)]);
      await expectOneAnswer({ channel, threadTs: ts, question });
    });

    it('answers a malformed body 400 and an oversized one 413, and stays up', async () => {
      const malformed = await driver.malformed();
      expect(malformed.status).toBe(400);
      const oversized = await driver.oversized(2 * 1024 * 1024);
      expect(oversized.status).toBe(413);

      expect(await healthz(bot)).toBe(200);
      expect(bot.exitInfo()).toBeUndefined();
    });
  });

  describe('a mention and its message twin', () => {
    it.each(['concurrent', 'mention-first', 'message-first'] as const)(
      'is answered once when they arrive %s',
      async (twin) => {
        const channel = uniqueId('C');
        const question = uniqueQuestion(`twins ${twin}`);
        const sent = await driver.mention({ channel, user: uniqueId('U'), text: question, twin });

        expect(sent.acks.map((a) => a.label).sort()).toEqual(['app_mention', 'message']);
        expectPromptAcks(sent.acks);
        await expectOneAnswer({ channel, threadTs: sent.ts, question });
      },
    );
  });

  describe('redelivery', () => {
    it('takes an event redelivered with X-Slack-Retry-Num 1, 2 and 3 in turn once', async () => {
      const channel = uniqueId('C');
      const question = uniqueQuestion('redelivered in turn');
      const sent = await driver.mention({ channel, user: uniqueId('U'), text: question, twin: 'none' });
      const first = sent.deliveries[0]!;

      const retries = [];
      for (const retryNum of [1, 2, 3])
        retries.push((await driver.redeliver(first, { retryNum, reason: 'http_timeout' })).ack);

      expectPromptAcks([...sent.acks, ...retries]);
      expect(retries.map((a) => a.retryNum)).toEqual([1, 2, 3]);
      await expectOneAnswer({ channel, threadTs: sent.ts, question });
    });

    it('takes an event once when its redeliveries 1, 2 and 3 arrive together with it', async () => {
      const channel = uniqueId('C');
      const user = uniqueId('U');
      const question = uniqueQuestion('redelivered at once');
      const ts = slack.nextTs();
      const text = `<@${slack.botUserId}> ${question}`;
      slack.addMessage({ channel, ts, user, text });
      const { body } = mentionEnvelope({ slack, channel, user, ts, text });

      const acks = await Promise.all([
        driver.send(body),
        ...[1, 2, 3].map((n) =>
          driver.send(body, {
            headers: { 'x-slack-retry-num': String(n), 'x-slack-retry-reason': 'http_timeout' },
          }),
        ),
      ]);

      expectPromptAcks(acks);
      await expectOneAnswer({ channel, threadTs: ts, question });
    });
  });
});

describe('when Redis goes away', () => {
  it('refuses events with 5xx, tells /ask to try again, reports 503, and takes the redelivery once Redis is back', async () => {
    const redis = await startTestRedis({ appendonly: true });
    redisDirs.push(redis.dir);
    const bot = await startE2EBot({ prefix: uniquePrefix('redis-down'), redisUrl: redis.url });
    const driver = driverFor(bot);

    await redis.stop({ keepData: true });
    await waitFor(async () => (await healthz(bot)) === 503, { timeoutMs: 5000, what: '/healthz to say 503' });

    const channel = uniqueId('C');
    const user = uniqueId('U');
    const question = uniqueQuestion('while redis is down');
    const sent = await driver.mention({ channel, user, text: question });
    for (const ack of sent.acks) {
      expect(ack.status).toBeGreaterThanOrEqual(500);
      expect(ack.status).toBeLessThan(600);
      expect(ack.late).toBe(false);
    }

    const askChannel = uniqueId('C');
    const askQuestion = uniqueQuestion('ask while redis is down');
    const ask = await driver.command({ text: askQuestion, user, channel: askChannel });
    expect(ask.ack.status).toBe(200);
    expect(ask.ack.late).toBe(false);
    expect(JSON.parse(ask.ack.body)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/try again/i),
    });
    expect(await healthz(bot)).toBe(503);

    // Same port and data directory: the bot's connections heal on their own.
    await startTestRedis({ port: redis.port, dir: redis.dir, appendonly: true });
    await waitForHealth(bot, 15_000);

    // Slack redelivers both twins after the 5xx; the first is taken, the other is its duplicate.
    const again = await Promise.all(
      sent.deliveries.map((d) => driver.redeliver(d, { retryNum: 1, reason: 'http_error' })),
    );
    expectPromptAcks(again.map((d) => d.ack));
    await expectOneAnswer({ channel, threadTs: sent.ts, question, timeoutMs: 15_000 });

    // The refused /ask was never taken: nothing was posted for it and the model never saw it.
    expect(slack.messages(askChannel)).toEqual([]);
    expect(llmRequestsFor(openai, askQuestion)).toEqual([]);

    // Stopped while Redis is up: with Redis gone, closing the workers waits out the whole deadline.
    expect(await bot.stop(30_000)).toEqual({ code: 0, signal: null });
  });
});

describe('a process killed after the ack', () => {
  it('has its request recovered and answered by the next process on the same Redis', {
    timeout: RECOVERY_BUDGET_MS + 20_000,
  }, async () => {
    // Both processes are one deployment: same Redis, prefix and lock settings.
    const deployment = { prefix: uniquePrefix('crash'), extra: { JOB_LOCK_MS: String(CRASH_LOCK_MS) } };
    const first = await startE2EBot(deployment);
    // A slow model keeps the answer in flight when the process dies.
    openai.configure({ ttftMs: 3000 });

    const channel = uniqueId('C');
    const question = uniqueQuestion('survive a crash');
    const sent = await driverFor(first).mention({ channel, user: uniqueId('U'), text: question });
    expectPromptAcks(sent.acks);
    await waitFor(() => llmRequestsFor(openai, question).length > 0, {
      timeoutMs: 10_000,
      what: 'the LLM request of the first process',
    });
    expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(completeAnswers(slack, channel, sent.ts, question)).toEqual([]);

    openai.configure({ ttftMs: 0 });
    const killedAt = Date.now();
    const second = await startE2EBot(deployment);
    await slack
      .waitFor(
        () => completeAnswers(slack, channel, sent.ts, question).length > 0,
        RECOVERY_BUDGET_MS,
        'the recovered answer',
      )
      .catch((err: Error) => {
        throw new Error(
          `${err.message}\nthread: ${JSON.stringify(slack.messages(channel, sent.ts), null, 1)}\n` +
            `LLM requests: ${llmRequestsFor(openai, question).length}\n` +
            `first process:\n${first.output()}\nsecond process:\n${second.output()}`,
        );
      });
    const recoveredAfterMs = Date.now() - killedAt;
    await sleep(SETTLE_MS);

    // Whatever the dead process left in the thread, exactly one whole answer follows.
    expect(completeAnswers(slack, channel, sent.ts, question)).toHaveLength(1);
    // And the thread says the first attempt was interrupted, so what it left is not taken for the answer.
    expect(botReplies(slack, channel, sent.ts).some((m) => shownText(m).includes('interrupted'))).toBe(true);
    // The dead process's request, then the recovered one.
    expect(llmRequestsFor(openai, question).length).toBeGreaterThanOrEqual(2);
    console.info(`intake e2e: a request killed in flight was answered ${recoveredAfterMs} ms after the kill`);
  });
});

describe('SIGTERM', () => {
  it('exits 0 well within 30 s when idle', async () => {
    const bot = await startE2EBot({ prefix: uniquePrefix('sigterm-idle') });
    await pastStartup(bot);
    const started = performance.now();
    const exit = await bot.stop(30_000);
    const ms = performance.now() - started;

    expect(exit).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(30_000);
    expect(bot.output()).toContain('received SIGTERM');
  });

  it('finishes the answer in flight before exiting 0', async () => {
    const bot = await startE2EBot({ prefix: uniquePrefix('sigterm-busy') });
    openai.configure({ ttftMs: 2000 });
    const channel = uniqueId('C');
    const question = uniqueQuestion('finish before you go');
    const sent = await driverFor(bot).mention({ channel, user: uniqueId('U'), text: question });
    expectPromptAcks(sent.acks);
    await waitFor(() => llmRequestsFor(openai, question).length > 0, {
      timeoutMs: 10_000,
      what: 'the LLM request',
    });
    expect(completeAnswers(slack, channel, sent.ts, question)).toEqual([]);

    const started = performance.now();
    const exit = await bot.stop(30_000);
    const ms = performance.now() - started;

    expect(exit).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(30_000);
    expect(completeAnswers(slack, channel, sent.ts, question)).toHaveLength(1);
    expect(botReplies(slack, channel, sent.ts)).toHaveLength(1);
  });

  // A start-up race: /healthz answers 200 only once everything has started, and signals are handled
  // from the first moment, so a SIGTERM at once after start drains and exits 0.
  it('exits 0 on a SIGTERM sent the moment /healthz first answers 200', {
    timeout: 60_000,
  }, async () => {
    for (let i = 0; i < 10; i++) {
      const bot = await startE2EBot({ prefix: uniquePrefix(`sigterm-early-${i}`) });
      expect(await bot.stop(30_000)).toEqual({ code: 0, signal: null });
    }
  });
});

describe('settings', () => {
  it('exits non-zero at once on a missing token and a malformed port, naming both and printing no secret', async () => {
    const secrets = ['super-secret-123', 'sk-e2e-very-secret-key'];
    const result = await runBotToExit({
      cwd: workDir,
      env: {
        NODE_ENV: 'test',
        PORT: 'eighty',
        SLACK_SIGNING_SECRET: secrets[0]!,
        OPENAI_API_KEY: secrets[1]!,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL: sharedRedisUrl,
      },
    });

    expect(result.signal).toBeNull();
    expect(result.code).not.toBe(0);
    expect(result.ms).toBeLessThan(5000);
    expect(result.stderr).toMatch(/^\s*SLACK_BOT_TOKEN: /m);
    expect(result.stderr).toMatch(/^\s*PORT: /m);
    const output = result.stdout + result.stderr;
    for (const secret of secrets) expect(output).not.toContain(secret);
    // Not even the malformed value itself is echoed.
    expect(output).not.toContain('eighty');
  });
});
