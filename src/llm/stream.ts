import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import type { ChatMessage } from '../core/domain.js';
import { LlmError } from './errors.js';
import type { LlmResult, LlmUsage } from './types.js';

/**
 * One attempt at a streamed Chat Completion: open the stream, read its chunks into text, usage and
 * a finish reason, and close it however the attempt ends. Errors leave here raw (classified by
 * the caller with `AttemptProgress`), except a stream that ends without a finish reason.
 */

/** What `chat.completions.create` with `stream: true` gives back, as far as an attempt uses it. */
export interface ChunkStream extends AsyncIterable<ChatCompletionChunk> {
  readonly controller: AbortController;
}

export type OpenStream = (
  body: ChatCompletionCreateParamsStreaming,
  options: { signal: AbortSignal; maxRetries: number; timeout: number },
) => Promise<ChunkStream>;

export interface AttemptSpec {
  open: OpenStream;
  model: string;
  maxTokens: number;
  /** The SDK's per-request timeout (a backstop behind the call's deadlines). */
  sdkTimeoutMs: number;
  messages: ChatMessage[];
  /** Aborted by a deadline or a cancel: ends the attempt wherever it is. */
  signal: AbortSignal;
  /** A piece of answer or reasoning arrived: the call is making progress. */
  onProgress: () => void;
  /** Each new piece of answer text; what it throws leaves the attempt as a `CallerError`. */
  onText: (delta: string) => void;
}

/** How far an attempt got, updated as it goes, so a failure can be classified by it. */
export interface AttemptProgress {
  phase: 'connect' | 'stream';
  /** The answer text streamed so far. */
  text: string;
}

export type AttemptResult = Pick<LlmResult, 'text' | 'finishReason' | 'usage' | 'model'>;

/** Raised inside an attempt when the caller's onDelta throws: rethrown as-is, never retried. */
export class CallerError extends Error {
  constructor(readonly original: unknown) {
    super('onDelta threw');
  }
}

/**
 * `p`, or the signal's reason once it aborts first. `onLate` gets a value that arrives after the
 * abort, so what it holds open (a stream) can be closed.
 */
export const raceAbort = <T>(p: Promise<T>, signal: AbortSignal, onLate?: (value: T) => void): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then((value) => {
      if (signal.aborted) onLate?.(value);
      resolve(value);
    }, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });

export const runAttempt = async (spec: AttemptSpec, progress: AttemptProgress): Promise<AttemptResult> => {
  const { signal } = spec;
  const pending = spec.open(
    {
      model: spec.model,
      // Our ChatMessage is a subset of the SDK's params (system and assistant turns are text only).
      messages: spec.messages as ChatCompletionCreateParamsStreaming['messages'],
      // `max_tokens` rather than `max_completion_tokens`: Ollama, vLLM and older Azure
      // deployments only know this name.
      max_tokens: spec.maxTokens,
      stream: true,
      stream_options: { include_usage: true },
    },
    { signal, maxRetries: 0, timeout: spec.sdkTimeoutMs },
  );
  // If the deadline wins the race, a stream that opens later must not be left reading.
  const stream = await raceAbort(pending, signal, (late) => late.controller.abort());
  progress.phase = 'stream';

  let model = '';
  let finishReason: string | undefined;
  let usage: LlmUsage | undefined;
  let complete = false;
  const chunks = stream[Symbol.asyncIterator]();
  try {
    while (true) {
      // The race, not only the SDK signal, ends a hung stream: a fetch wrapper that does not
      // pass the abort on to the body (nock's interceptor is one) would otherwise hold the call.
      const next = await raceAbort(chunks.next(), signal);
      if (next.done) break;
      const chunk = next.value;
      if (!model && chunk.model) model = chunk.model;
      if (chunk.usage) {
        usage = {
          promptTokens: chunk.usage.prompt_tokens,
          completionTokens: chunk.usage.completion_tokens,
        };
      }
      // Azure sends a first chunk with no choices (prompt filter results).
      const choice = chunk.choices[0];
      if (!choice) continue;
      const delta = choice.delta?.content;
      // Reasoning models (vLLM, Ollama, DeepSeek) stream their thinking under another name first.
      const thinking = choice.delta as { reasoning_content?: unknown; reasoning?: unknown } | undefined;
      if (delta || thinking?.reasoning_content || thinking?.reasoning) spec.onProgress();
      if (delta) {
        progress.text += delta;
        try {
          spec.onText(delta);
        } catch (err) {
          throw new CallerError(err);
        }
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    // The SDK ends its iterator quietly when aborted; that is not a finished answer.
    if (signal.aborted) throw signal.reason;
    complete = true;
  } finally {
    if (!complete) stream.controller.abort();
  }
  if (finishReason === undefined) {
    throw new LlmError(
      'llm_stream_cut',
      `LLM stream ended without a finish reason after ${progress.text.length} chars`,
      { retryable: true, partialText: progress.text },
    );
  }
  return { text: progress.text, finishReason, model: model || spec.model, ...(usage ? { usage } : {}) };
};
