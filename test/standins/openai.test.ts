import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { contextEcho, type OpenAIStandin, startOpenAI, tokenize } from '../../standins/llm/index.js';

let llm: OpenAIStandin;
let openai: OpenAI;

beforeAll(async () => {
  llm = await startOpenAI();
  openai = new OpenAI({ apiKey: 'x', baseURL: llm.baseUrl, maxRetries: 0 });
});
afterAll(() => llm.close());
beforeEach(() => llm.reset());

const thread = [
  { role: 'system' as const, content: 'You are Backchannel.' },
  { role: 'user' as const, content: 'Ada: what is a monad?' },
  { role: 'assistant' as const, content: 'A monoid in the category of endofunctors.' },
  { role: 'user' as const, content: 'Bob: and in plain words?' },
];

/** Reads an SSE body into its `data:` payloads. */
const sseData = async (res: Response): Promise<string[]> =>
  (await res.text())
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));

const rawCompletion = (body: Record<string, unknown>) =>
  fetch(`${llm.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
    body: JSON.stringify(body),
  });

describe('answers', () => {
  it('streams chat.completion.chunk events ending with [DONE], with usage when asked', async () => {
    llm.configure({ words: 3 });
    const res = await rawCompletion({
      model: 'gpt-4o-mini',
      messages: thread,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const data = await sseData(res);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data
      .slice(0, -1)
      .map((d) => JSON.parse(d) as Record<string, unknown> & { choices: unknown[] });
    expect(chunks[0]).toMatchObject({
      object: 'chat.completion.chunk',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      usage: null,
    });
    const finish = chunks.at(-2);
    expect(finish?.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    const usage = chunks.at(-1);
    expect(usage?.choices).toEqual([]);
    expect(usage?.usage).toMatchObject({
      completion_tokens: expect.any(Number),
      prompt_tokens: expect.any(Number),
    });
  });

  it('echoes the context it received, so a test can see the thread arrived', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: thread,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toMatch(/^\[messages=4 last="Bob: and in plain words\?"\] alpha bravo/);
    expect(llm.lastRequest()).toMatchObject({
      model: 'gpt-4o-mini',
      stream: true,
      outcome: 'ok',
      messages: thread,
    });
  });

  it('truncates the echoed message to 80 characters, whitespace collapsed', () => {
    const long = `${'word '.repeat(30)}\n\nend`;
    expect(contextEcho([{ role: 'user', content: long }])).toBe(
      `[messages=1 last="${'word '.repeat(16).trim()}"]`,
    );
  });

  it('answers without streaming in the chat.completion shape', async () => {
    llm.configure({ text: 'Plain **answer**.\n\nSecond paragraph.' });
    const res = await openai.chat.completions.create({ model: 'm', messages: thread, max_tokens: 100 });
    expect(res).toMatchObject({
      object: 'chat.completion',
      choices: [
        {
          message: { role: 'assistant', content: 'Plain **answer**.\n\nSecond paragraph.' },
          finish_reason: 'stop',
        },
      ],
      usage: { completion_tokens: 4 },
    });
    expect(llm.lastRequest()?.max_tokens).toBe(100);
  });

  it('stops at max_tokens with finish_reason length', async () => {
    llm.configure({ words: 50 });
    const res = await openai.chat.completions.create({
      model: 'm',
      messages: thread,
      max_completion_tokens: 5,
    });
    expect(res.choices[0]?.finish_reason).toBe('length');
    expect(tokenize(res.choices[0]?.message.content ?? '')).toHaveLength(5);
  });

  it('keeps time to first token and pace', async () => {
    llm.configure({
      ttftMs: 150,
      tokensPerSecond: 100,
      text: 'one two three four five six seven eight nine ten',
    });
    const t0 = Date.now();
    const stream = await openai.chat.completions.create({ model: 'm', messages: thread, stream: true });
    const arrivals: number[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) arrivals.push(Date.now() - t0);
    expect(arrivals[0]).toBeGreaterThanOrEqual(140);
    // Tokens are paced against the start (a late first token is not added to every later one), so
    // the last one comes no sooner than TTFT + 9 gaps of 10 ms, however late the first was.
    expect(arrivals.at(-1)!).toBeGreaterThanOrEqual(150 + 90 - 10);
  });
});

describe('faults', () => {
  it('answers 429 with retry-after, then succeeds', async () => {
    llm.failNext({ kind: '429', retryAfter: 2 });
    const err = await openai.chat.completions
      .create({ model: 'm', messages: thread })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const rl = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rl.status).toBe(429);
    expect(rl.code).toBe('rate_limit_exceeded');
    expect(rl.type).toBe('requests');
    expect(rl.headers.get('retry-after')).toBe('2');

    const ok = await openai.chat.completions.create({ model: 'm', messages: thread });
    expect(ok.choices[0]?.message.content).toMatch(/^\[messages=4/);
    expect(llm.requests().map((r) => r.outcome)).toEqual(['429', 'ok']);
  });

  it('tells insufficient_quota apart from a rate limit', async () => {
    llm.failNext({ kind: 'insufficient_quota' });
    const err = await openai.chat.completions
      .create({ model: 'm', messages: thread })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
  });

  it('fails with 5xx as many times as asked', async () => {
    llm.failNext({ kind: '5xx', status: 503 }, 2);
    for (let i = 0; i < 2; i++)
      await expect(openai.chat.completions.create({ model: 'm', messages: thread })).rejects.toBeInstanceOf(
        OpenAI.InternalServerError,
      );
    await openai.chat.completions.create({ model: 'm', messages: thread });
  });

  it('returns any error body asked for', async () => {
    llm.failNext({
      kind: 'error',
      status: 400,
      error: {
        message: 'too long',
        type: 'invalid_request_error',
        code: 'context_length_exceeded',
        param: 'messages',
      },
    });
    await expect(openai.chat.completions.create({ model: 'm', messages: thread })).rejects.toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
    });
  });

  it('cuts a stream midway: the client sees the first chunks, then an error', async () => {
    llm.failNext({ kind: 'cut', afterChunks: 3 });
    const stream = await openai.chat.completions.create({ model: 'm', messages: thread, stream: true });
    let text = '';
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    await expect(consume()).rejects.toThrow();
    expect(text).toBe(tokenize(llm.lastRequest()!.answer!).slice(0, 3).join(''));
  });

  it('stalls a stream without closing it: only the caller’s own deadline ends it', async () => {
    // openai@6's `timeout` covers only the wait for response headers, not a silent body.
    llm.failNext({ kind: 'stall', afterChunks: 2 });
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'm', messages: thread, stream: true },
      { signal: controller.signal, timeout: 200 },
    );
    const t0 = Date.now();
    setTimeout(() => controller.abort(), 300);
    let chunks = 0;
    // The SDK ends a stream's iteration quietly when its signal aborts.
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) chunks++;
    expect(chunks).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(llm.lastRequest()?.outcome).toBe('stall');
  });

  it('hangs without answering until the client times out', async () => {
    llm.failNext({ kind: 'hang' });
    await expect(
      openai.chat.completions.create({ model: 'm', messages: thread }, { timeout: 200 }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('records a client that went away', async () => {
    llm.configure({ tokensPerSecond: 20, words: 50 });
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'm', messages: thread, stream: true },
      { signal: controller.signal },
    );
    for await (const _ of stream) controller.abort();
    await expect.poll(() => llm.lastRequest()?.outcome).toBe('client_closed');
  });

  it('refuses requests without an API key or messages', async () => {
    const noKey = await fetch(`${llm.baseUrl}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: thread }),
    });
    expect(noKey.status).toBe(401);
    const noMessages = await rawCompletion({ model: 'm', messages: [] });
    expect(noMessages.status).toBe(400);
    expect(await noMessages.json()).toMatchObject({
      error: { type: 'invalid_request_error', param: 'messages' },
    });
  });

  it('waits for requests', async () => {
    const waiting = llm.waitForRequests(2);
    await openai.chat.completions.create({ model: 'm', messages: thread });
    await openai.chat.completions.create({ model: 'm', messages: thread });
    expect(await waiting).toHaveLength(2);
  });

  it('wakes a waiter when a request ends, not only when one arrives', async () => {
    llm.configure({ ttftMs: 200 });
    const answered = openai.chat.completions.create({ model: 'm', messages: thread });
    await llm.waitFor(() => llm.lastRequest(), 2_000, 'the request');
    expect(llm.lastRequest()?.outcome).toBeUndefined();
    await llm.waitFor(() => llm.lastRequest()?.outcome === 'ok', 2_000, 'the outcome');
    await answered;
  });
});
