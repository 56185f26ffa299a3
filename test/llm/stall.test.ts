import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createLlmClient, type LlmClientDeps, type LlmError } from '../../src/llm/client.js';
import { type OpenAIStandin, startOpenAI } from '../../standins/llm/index.js';
import { botReplies, useStack, waitForReplies } from '../support/stack.js';
import { silentLogger, testConfig } from './sse.js';

/**
 * A hung LLM must not leave the thread silent until LLM_TIMEOUT_MS: the first-token and idle
 * deadlines end the call early, while a slow answer that keeps coming still finishes. Real HTTP to
 * the OpenAI stand-in on loopback (no nock), real timers; bounds are generous for a shared machine.
 */

const messages = [{ role: 'user' as const, content: 'Alice: hi' }];

let llm: OpenAIStandin;
beforeAll(async () => {
  llm = await startOpenAI();
});
afterEach(() => llm.reset());
afterAll(() => llm.close());

const client = (over: Partial<ReturnType<typeof testConfig>> = {}, deps: Partial<LlmClientDeps> = {}) =>
  createLlmClient({
    config: testConfig({ baseUrl: llm.baseUrl, timeoutMs: 20_000, ...over }),
    logger: silentLogger(),
    random: () => 0,
    ...deps,
  });

const timed = async (p: Promise<unknown>) => {
  const started = Date.now();
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as LlmError | undefined;
  return { err, ms: Date.now() - started };
};

describe('the first-token deadline', () => {
  it('ends a call whose server accepts and never answers, near the deadline, without retrying', async () => {
    llm.failNext({ kind: 'hang' });
    const { err, ms } = await timed(client({ firstTokenTimeoutMs: 500 }).stream({ messages }));

    expect(err?.code).toBe('llm_first_token_timeout');
    expect(err?.retryable).toBe(true);
    expect(err?.partialText).toBe('');
    expect(ms).toBeGreaterThanOrEqual(490);
    expect(ms).toBeLessThan(3_000);
    expect(llm.requests()).toHaveLength(1);
  });

  it('ends a stream that opens but sends no text', async () => {
    llm.configure({ ttftMs: 15_000 });
    const { err, ms } = await timed(client({ firstTokenTimeoutMs: 500 }).stream({ messages }));

    expect(err?.code).toBe('llm_first_token_timeout');
    expect(ms).toBeLessThan(3_000);
  });

  it('counts from the start of the call, so an in-process retry cannot push it later', async () => {
    llm.failNext({ kind: '5xx' });
    llm.failNext({ kind: 'hang' });
    // 1.5 s before the second attempt: a deadline per attempt would end at 3.5 s.
    const sleep = (ms: number, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, ms + 1_000);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(signal.reason);
        });
      });
    const { err, ms } = await timed(client({ firstTokenTimeoutMs: 2_000 }, { sleep }).stream({ messages }));

    expect(err?.code).toBe('llm_first_token_timeout');
    expect(llm.requests()).toHaveLength(2);
    expect(ms).toBeGreaterThanOrEqual(1_990);
    expect(ms).toBeLessThan(3_000);
  });
});

describe('the idle deadline', () => {
  it('ends a stream that stalls midway, keeping the text that arrived', async () => {
    llm.configure({ text: 'one two three four five six' });
    llm.failNext({ kind: 'stall', afterChunks: 3 });
    const deltas: string[] = [];
    const { err, ms } = await timed(
      client({ firstTokenTimeoutMs: 5_000, idleTimeoutMs: 500 }).stream({
        messages,
        onDelta: (d) => deltas.push(d),
      }),
    );

    expect(err?.code).toBe('llm_idle_timeout');
    expect(err?.retryable).toBe(true);
    expect(err?.partialText).toBe('one two three');
    expect(deltas.join('')).toBe('one two three');
    expect(ms).toBeGreaterThanOrEqual(490);
    expect(ms).toBeLessThan(3_000);
    expect(llm.requests()).toHaveLength(1);
  });

  it('lets a slow but steady answer run past both deadlines, where a silent one is cut', async () => {
    const steady = client({ firstTokenTimeoutMs: 600, idleTimeoutMs: 600 });
    llm.configure({
      ttftMs: 300,
      tokensPerSecond: 8,
      text: Array.from({ length: 24 }, (_, i) => `w${i}`).join(' '),
    });
    const started = Date.now();
    const result = await steady.stream({ messages });
    expect(Date.now() - started).toBeGreaterThan(2_500);
    expect(result.text.split(' ')).toHaveLength(24);
    expect(result.finishReason).toBe('stop');

    llm.configure({ ttftMs: 15_000 });
    const { err } = await timed(steady.stream({ messages }));
    expect(err?.code).toBe('llm_first_token_timeout');
  });
});

describe('with the default settings', () => {
  it('gives up on a silent LLM well within 45 s, and on the whole call only after 2 minutes', () => {
    const { openai } = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 's' });
    expect(openai.firstTokenTimeoutMs).toBe(30_000);
    expect(openai.idleTimeoutMs).toBe(30_000);
    expect(openai.timeoutMs).toBe(120_000);
  });
});

describe('through the whole bot', () => {
  const start = useStack();
  const env = { LLM_FIRST_TOKEN_TIMEOUT_MS: '800', LLM_IDLE_TIMEOUT_MS: '800', LLM_TIMEOUT_MS: '20000' };

  it('shows a visible error in the thread soon after the LLM hangs', async () => {
    const s = await start({ env });
    s.llm.failNext({ kind: 'hang' });
    const asked = Date.now();
    const { ts } = await s.driver.mention({ channel: 'C21', user: 'U21', text: 'are you there?' });
    const [reply] = await waitForReplies(s, 'C21', ts, 1, 6_000);

    expect(Date.now() - asked).toBeLessThan(6_000);
    expect(reply?.text).toMatch(/⚠️ The language model took the question but sent nothing back/);
    expect(s.llm.requests()).toHaveLength(1);
  });

  it('keeps what a stalled stream sent, and says once that it was cut off, and why', async () => {
    const s = await start({ env, llm: { words: 30 } });
    s.llm.failNext({ kind: 'stall', afterChunks: 6 });
    const { ts } = await s.driver.mention({ channel: 'C22', user: 'U22', text: 'tell me more' });
    const [reply] = await waitForReplies(s, 'C22', ts, 1, 6_000);

    expect(reply?.text).toContain('[messages=2');
    expect(reply?.text.match(/cut off/gi)).toHaveLength(1);
    expect(reply?.text).toMatch(/The answer was cut off\. The language model stopped sending partway/);
  });

  it('says “cut off” once when the connection breaks midway', async () => {
    const s = await start({ llm: { words: 30 } });
    s.llm.failNext({ kind: 'cut', afterChunks: 6 });
    const { ts } = await s.driver.mention({ channel: 'C23', user: 'U23', text: 'and then?' });
    await waitForReplies(s, 'C23', ts);
    const text = botReplies(s, 'C23', ts)
      .map((m) => m.text)
      .join('\n');

    expect(text.match(/cut off/gi)).toHaveLength(1);
    expect(text).toMatch(/connection to the language model broke/);
  });
});
