import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { LlmError } from '../../src/llm/errors.js';
import {
  type AttemptProgress,
  type AttemptSpec,
  CallerError,
  type ChunkStream,
  type OpenStream,
  raceAbort,
  runAttempt,
} from '../../src/llm/stream.js';

/** One attempt's chunk loop on canned chunks: no SDK, no HTTP. */

type Delta = ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };

const chunk = (
  delta: Delta | undefined,
  finish: ChatCompletionChunk.Choice['finish_reason'] = null,
  model = 'gpt-test-2025',
): ChatCompletionChunk => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model,
  choices: delta === undefined ? [] : [{ index: 0, delta, finish_reason: finish }],
});
const text = (content: string, finish: ChatCompletionChunk.Choice['finish_reason'] = null) =>
  chunk({ content }, finish);
const usage = (prompt: number, completion: number): ChatCompletionChunk => ({
  ...chunk(undefined),
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
});

const never = new Promise<never>(() => {});

/** A stream of `chunks`, then an end, a hang or an error. */
const canned = (chunks: ChatCompletionChunk[], then: 'end' | 'hang' | Error = 'end'): ChunkStream => ({
  controller: new AbortController(),
  async *[Symbol.asyncIterator]() {
    yield* chunks;
    if (then === 'hang') await never;
    if (then instanceof Error) throw then;
  },
});

const setup = (stream: ChunkStream | Promise<ChunkStream>, over: Partial<AttemptSpec> = {}) => {
  const opened: Parameters<OpenStream>[] = [];
  const texts: string[] = [];
  let progressed = 0;
  const signal = new AbortController();
  const spec: AttemptSpec = {
    open: async (...args) => {
      opened.push(args);
      return stream;
    },
    model: 'gpt-test',
    maxTokens: 256,
    sdkTimeoutMs: 15_000,
    messages: [{ role: 'user', content: 'Alice: hi' }],
    signal: signal.signal,
    onProgress: () => {
      progressed += 1;
    },
    onText: (d) => texts.push(d),
    ...over,
  };
  const progress: AttemptProgress = { phase: 'connect', text: '' };
  return {
    spec,
    progress,
    opened,
    texts,
    progressed: () => progressed,
    abort: (why: unknown) => signal.abort(why),
  };
};

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );

describe('runAttempt', () => {
  it('streams the pieces in order and returns the text, finish reason, usage and model', async () => {
    const stream = canned([
      text('Two'),
      text(' plus two'),
      text(' is four.'),
      chunk({}, 'stop'),
      usage(21, 5),
    ]);
    const t = setup(stream);

    const result = await runAttempt(t.spec, t.progress);

    expect(t.texts).toEqual(['Two', ' plus two', ' is four.']);
    expect(result).toEqual({
      text: 'Two plus two is four.',
      finishReason: 'stop',
      usage: { promptTokens: 21, completionTokens: 5 },
      model: 'gpt-test-2025',
    });
    expect(t.progress).toEqual({ phase: 'stream', text: 'Two plus two is four.' });
    expect(stream.controller.signal.aborted).toBe(false);
  });

  it('asks for a stream with usage, max_tokens, and no SDK retries', async () => {
    const t = setup(canned([text('ok', 'stop')]), { maxTokens: 50 });

    await runAttempt(t.spec, t.progress);

    expect(t.opened).toEqual([
      [
        {
          model: 'gpt-test',
          messages: [{ role: 'user', content: 'Alice: hi' }],
          max_tokens: 50,
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: t.spec.signal, maxRetries: 0, timeout: 15_000 },
      ],
    ]);
  });

  it('skips a chunk with no choices (Azure prompt filter results) and has no usage when none came', async () => {
    const t = setup(canned([chunk(undefined), text('fine'), text('', 'length')]));

    const result = await runAttempt(t.spec, t.progress);

    expect(result).toEqual({ text: 'fine', finishReason: 'length', model: 'gpt-test-2025' });
  });

  it("names the configured model when the server's chunks name none", async () => {
    const t = setup(canned([chunk({ content: 'hi' }, 'stop', '')]));

    expect((await runAttempt(t.spec, t.progress)).model).toBe('gpt-test');
  });

  it('counts reasoning as progress, but not as answer text', async () => {
    const t = setup(canned([chunk({ reasoning_content: 'hmm' }), chunk({ content: '' }), text('4', 'stop')]));

    const result = await runAttempt(t.spec, t.progress);

    expect(result.text).toBe('4');
    expect(t.texts).toEqual(['4']);
    expect(t.progressed()).toBe(2);
  });

  it('fails as a retryable cut stream, keeping the text, when the stream ends without a finish reason', async () => {
    const t = setup(canned([text('Half'), text(' an answer')]));

    const err = await rejection(runAttempt(t.spec, t.progress));

    expect(err).toBeInstanceOf(LlmError);
    expect(err).toMatchObject({ code: 'llm_stream_cut', retryable: true, partialText: 'Half an answer' });
  });

  it('lets a broken stream throw raw, with the text so far in the progress, and closes it', async () => {
    const reset = new Error('read ECONNRESET');
    const stream = canned([text('Once upon'), text(' a time')], reset);
    const t = setup(stream);

    const err = await rejection(runAttempt(t.spec, t.progress));

    expect(err).toBe(reset);
    expect(t.progress).toEqual({ phase: 'stream', text: 'Once upon a time' });
    expect(stream.controller.signal.aborted).toBe(true);
  });

  it("wraps what the caller's onText throws, and closes the stream", async () => {
    const boom = new Error('poster failed');
    const stream = canned([text('a'), text('b')], 'hang');
    const t = setup(stream, {
      onText: () => {
        throw boom;
      },
    });

    const err = await rejection(runAttempt(t.spec, t.progress));

    expect(err).toBeInstanceOf(CallerError);
    expect((err as CallerError).original).toBe(boom);
    expect(stream.controller.signal.aborted).toBe(true);
  });

  it('ends a hung stream when the signal aborts, with its reason, keeping the text', async () => {
    const deadline = new Error('deadline (idle)');
    const stream = canned([text('Thinking')], 'hang');
    const t = setup(stream, { onText: () => setTimeout(() => t.abort(deadline), 5) });

    const err = await rejection(runAttempt(t.spec, t.progress));

    expect(err).toBe(deadline);
    expect(t.progress).toEqual({ phase: 'stream', text: 'Thinking' });
    expect(stream.controller.signal.aborted).toBe(true);
  });

  it('ends an attempt still connecting when the signal aborts, and closes a stream that opens later', async () => {
    let open: (s: ChunkStream) => void = () => {};
    const late = canned([text('late', 'stop')]);
    const t = setup(new Promise<ChunkStream>((resolve) => (open = resolve)));
    const cancelled = new Error('cancelled');

    const pending = rejection(runAttempt(t.spec, t.progress));
    await new Promise((r) => setTimeout(r, 5));
    t.abort(cancelled);

    expect(await pending).toBe(cancelled);
    expect(t.progress.phase).toBe('connect');
    open(late);
    await new Promise((r) => setTimeout(r, 5));
    expect(late.controller.signal.aborted).toBe(true);
  });
});

describe('raceAbort', () => {
  it('settles as the promise does while the signal stays quiet', async () => {
    const signal = new AbortController().signal;
    const oops = new Error('oops');

    expect(await raceAbort(Promise.resolve(1), signal)).toBe(1);
    expect(await rejection(raceAbort(Promise.reject(oops), signal))).toBe(oops);
  });

  it('rejects with the reason at once when the signal has already aborted', async () => {
    const why = new Error('gone');

    expect(await rejection(raceAbort(never, AbortSignal.abort(why)))).toBe(why);
  });

  it('hands a value that arrives after the abort to onLate, and leaves no unhandled rejection', async () => {
    const stop = new AbortController();
    const late: number[] = [];
    let settle: (n: number) => void = () => {};
    let fail: (e: Error) => void = () => {};
    const value = new Promise<number>((r) => (settle = r));
    const failing = new Promise<number>((_, r) => (fail = r));

    const raced = [raceAbort(value, stop.signal, (n) => late.push(n)), raceAbort(failing, stop.signal)];
    stop.abort(new Error('stop'));
    settle(7);
    fail(new Error('after the abort'));

    for (const p of raced) expect(await rejection(p)).toEqual(new Error('stop'));
    await new Promise((r) => setTimeout(r, 5));
    expect(late).toEqual([7]);
  });
});
