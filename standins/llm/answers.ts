import { isObject } from '../http.js';
import type { AnswerSettings, ChatMessageLike, CompletionRequest } from './types.js';

/**
 * What the stand-in answers: by default an echo of the context it was given —
 * `[messages=5 last="<last user message>"]` then filler words — so a test can tell that thread
 * history arrived.
 */

export const DEFAULT_SETTINGS: AnswerSettings = {
  ttftMs: 0,
  tokensPerSecond: Number.POSITIVE_INFINITY,
  words: 12,
};

const FILLER = (
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa ' +
  'quebec romeo sierra tango uniform victor whiskey xray yankee zulu'
).split(' ');

/** Text of a message's content, whether a string or an array of parts. */
export const contentText = (content: unknown): string => {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
};

/** The image parts (`image_url`) of a request's messages, as sent: their URLs (data URLs), in order. */
export const imageParts = (messages: ChatMessageLike[]): string[] =>
  messages.flatMap((m) =>
    Array.isArray(m.content)
      ? m.content.flatMap((p) =>
          isObject(p) &&
          p.type === 'image_url' &&
          isObject(p.image_url) &&
          typeof p.image_url.url === 'string'
            ? [p.image_url.url]
            : [],
        )
      : [],
  );

/** The echo an answer starts with: `[messages=5 last="<last user message, whitespace collapsed, ≤80 chars>"]`. */
export const contextEcho = (messages: ChatMessageLike[]): string => {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const last = contentText(lastUser?.content).replace(/\s+/g, ' ').trim().slice(0, 80).trimEnd();
  return `[messages=${messages.length} last="${last}"]`;
};

/** Splits text into token-like pieces (leading whitespace kept) that concatenate back to it. */
export const tokenize = (text: string): string[] => text.match(/\s*\S+|\s+$/g) ?? [];

/** The answer a request gets: the explicit text, or the context echo and filler words. */
export const answerFor = (settings: AnswerSettings, req: CompletionRequest): string => {
  const { text, words } = settings;
  if (typeof text === 'function') return text(req);
  if (text !== undefined) return text;
  const filler = Array.from({ length: words }, (_, i) => FILLER[i % FILLER.length]);
  return [contextEcho(req.messages), ...filler].join(' ');
};

/** The answer's tokens (cut to `max_tokens`, which makes `finish_reason: length`) and the usage OpenAI reports. */
export const answerTokens = (req: CompletionRequest, answer: string) => {
  let tokens = tokenize(answer);
  let finishReason: 'stop' | 'length' = 'stop';
  if (req.max_tokens !== undefined && tokens.length > req.max_tokens) {
    tokens = tokens.slice(0, req.max_tokens);
    finishReason = 'length';
  }
  // About four characters a token, plus OpenAI's per-message overhead.
  const promptTokens = req.messages.reduce((n, m) => n + 4 + Math.ceil(contentText(m.content).length / 4), 3);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: tokens.length,
    total_tokens: promptTokens + tokens.length,
  };
  return { tokens, finishReason, usage };
};
