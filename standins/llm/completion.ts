import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { isObject, sleep } from '../http.js';
import { answerFor, answerTokens } from './answers.js';
import type { AnswerSettings, CompletionRequest, OpenAIFault } from './types.js';

/**
 * Plays one answer out: a `chat.completion` JSON body, or SSE `chat.completion.chunk`s ending in
 * `data: [DONE]`, at the configured time to first token and tokens per second. A `stall` or `cut`
 * fault stops the stream part-way (silent, or with the socket destroyed).
 */
export const sendCompletion = async (o: {
  req: CompletionRequest;
  res: http.ServerResponse;
  settings: AnswerSettings;
  fault: Extract<OpenAIFault, { kind: 'stall' | 'cut' }> | undefined;
  json: (status: number, body: unknown, headers?: Record<string, string>) => void;
  requestId: string;
}): Promise<void> => {
  const { req: record, res, settings, fault } = o;
  const answer = answerFor(settings, record);
  record.answer = answer;
  const counted = answerTokens(record, answer);
  const { tokens, finishReason } = counted;
  const set = typeof settings.usage === 'function' ? settings.usage(record) : settings.usage;
  const usage =
    set === 'none'
      ? undefined
      : set
        ? { ...set, total_tokens: set.prompt_tokens + set.completion_tokens }
        : counted.usage;
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const { ttftMs, tokensPerSecond } = settings;
  const gapMs = Number.isFinite(tokensPerSecond) && tokensPerSecond > 0 ? 1000 / tokensPerSecond : 0;
  const extraHeaders = settings.headers?.(record) ?? {};

  let clientClosed = false;
  res.on('close', () => {
    if (!res.writableFinished) {
      clientClosed = true;
      if (!record.outcome) record.outcome = 'client_closed';
    }
  });

  if (!record.stream) {
    if (fault?.kind === 'stall') return; // nothing was sent yet: same as a hang
    await sleep(ttftMs + gapMs * tokens.length);
    if (fault?.kind === 'cut') {
      res.socket?.destroy();
      return;
    }
    if (clientClosed) return;
    record.outcome ??= 'ok';
    return o.json(
      200,
      {
        id,
        object: 'chat.completion',
        created,
        model: record.model,
        system_fingerprint: 'fp_standin',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: tokens.join(''), refusal: null },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage,
      },
      extraHeaders,
    );
  }

  const includeUsage =
    isObject(record.body.stream_options) && record.body.stream_options.include_usage === true;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: record.model,
    system_fingerprint: 'fp_standin',
    choices,
    // With include_usage, OpenAI sends `usage: null` on every chunk but the last.
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const delta = (d: Record<string, unknown>, finish: string | null = null) =>
    chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': o.requestId,
    ...extraHeaders,
  });
  res.flushHeaders();
  const start = Date.now();
  await sleep(ttftMs);
  if (clientClosed) return;
  send(delta({ role: 'assistant', content: '', refusal: null }));
  const stopAt = fault ? (fault.afterChunks ?? 3) : undefined;
  for (const [i, token] of tokens.entries()) {
    if (i === stopAt) break;
    // Paced against the start, so a late timer never slows the whole stream; never a negative sleep.
    if (gapMs > 0) await sleep(Math.max(0, start + ttftMs + i * gapMs - Date.now()));
    if (clientClosed) return;
    send(delta({ content: token }));
  }
  if (stopAt !== undefined && stopAt <= tokens.length) {
    // Let the chunks already written reach the client before the socket goes.
    if (fault?.kind === 'cut') setTimeout(() => res.socket?.destroy(), 20);
    return; // a stall keeps the connection open and silent
  }
  send(delta({}, finishReason));
  if (includeUsage && usage) send(chunk([], { usage }));
  res.end('data: [DONE]\n\n');
  record.outcome ??= 'ok';
};
