import type { ChatMessage, Turn } from '../domain.js';
import { AppError } from '../errors.js';
import { formatTurn, systemMessage } from './prompt.js';

/**
 * Token counting with a real tokenizer (o200k_base, the encoding of the gpt-4o, gpt-4.1, o-series
 * and gpt-5 families; for Ollama or vLLM models it is an estimate, which is all a budget needs).
 *
 * The o200k ranks are a 2.3 MB module and building the encoder blocks the event loop for about
 * half a second, so nothing loads at import time: the first call loads it once, and every function
 * here is async. Slack needs an ack within 3 s, so keep these calls off the ack path; a role can
 * warm the tokenizer with `loadTokenizer()` once it has started.
 */

/** Approximate per-message framing (`<|start|>role…<|end|>`), as in OpenAI's token-counting guide. */
export const TOKENS_PER_MESSAGE = 4;
/** Every reply is primed with `<|start|>assistant<|message|>`. */
export const REPLY_PRIMING_TOKENS = 3;
/** Stands for the text cut out of a truncated turn. */
export const TRUNCATION_MARKER = '[…]';

export interface Tokenizer {
  encode(text: string): number[];
  decode(tokens: number[]): string;
  count(text: string): number;
}

let loading: Promise<Tokenizer> | undefined;

export const isTokenizerLoaded = (): boolean => loading !== undefined;

/** Loads the o200k_base encoder once; later calls share it. A failed load is retried next time. */
export const loadTokenizer = (): Promise<Tokenizer> => {
  if (loading) return loading;
  const pending = (async (): Promise<Tokenizer> => {
    const [{ Tiktoken }, ranks] = await Promise.all([
      import('js-tiktoken/lite'),
      import('js-tiktoken/ranks/o200k_base'),
    ]);
    const enc = new Tiktoken(ranks.default);
    // Users can paste `<|endoftext|>`; by default js-tiktoken throws on special tokens, but here
    // they are just text (`[]` allowed, `[]` disallowed).
    const encode = (text: string) => enc.encode(text, [], []);
    return { encode, decode: (tokens) => enc.decode(tokens), count: (text) => encode(text).length };
  })();
  loading = pending;
  pending.catch(() => {
    if (loading === pending) loading = undefined;
  });
  return pending;
};

const messageCost = (tk: Tokenizer, message: ChatMessage): number =>
  TOKENS_PER_MESSAGE + tk.count(message.content);

export const countTokens = async (text: string): Promise<number> => (await loadTokenizer()).count(text);

/** Prompt tokens of a Chat Completions request, approximately as the API bills them. */
export const countMessages = async (messages: readonly ChatMessage[]): Promise<number> => {
  const tk = await loadTokenizer();
  return messages.reduce((sum, m) => sum + messageCost(tk, m), REPLY_PRIMING_TOKENS);
};

export interface TrimInput {
  systemPrompt: string;
  turns: readonly Turn[];
  /** CONTEXT_TOKEN_BUDGET: what one request may use of the model's window, prompt and answer together. */
  budget: number;
  /** MAX_ANSWER_TOKENS: kept free for the answer. Pass 0 to treat `budget` as the prompt's alone. */
  reserve: number;
  now?: Date;
}

export interface TrimResult {
  messages: ChatMessage[];
  /** Prompt tokens of `messages` (as `countMessages`), at most `budget - reserve`. */
  tokens: number;
  /** How many turns between the root and the newest question were left out. */
  droppedTurns: number;
  /** Whether the root's or the question's text had to be cut. */
  truncated: boolean;
}

/**
 * Fits a thread into `budget - reserve` prompt tokens. The budget covers the whole request
 * because servers reject prompt + max_tokens beyond the context window; the answer's share is
 * reserved up front so a long thread never squeezes the answer out.
 *
 * Drops the oldest turns first but always keeps the thread root (it says what the thread is about)
 * and the newest turn (the question being asked). If those two alone overflow, the root is cut
 * from its end, then the question from its start, keeping its end, where the question usually is.
 * Throws `config_invalid` only when the system prompt leaves no room at all.
 */
export const trimToBudget = async ({
  systemPrompt,
  turns,
  budget,
  reserve,
  now,
}: TrimInput): Promise<TrimResult> => {
  const tk = await loadTokenizer();
  const limit = budget - reserve;
  const cost = (m: ChatMessage) => messageCost(tk, m);
  const system = systemMessage(systemPrompt, now);
  const fixedCost = cost(system) + REPLY_PRIMING_TOKENS;

  const noRoom = () =>
    new AppError(
      'config_invalid',
      `SYSTEM_PROMPT (${fixedCost} tokens with framing) leaves no room for the thread in the ` +
        `${limit}-token prompt budget (CONTEXT_TOKEN_BUDGET ${budget} − MAX_ANSWER_TOKENS ${reserve})`,
    );

  const root = turns[0];
  if (root === undefined) {
    if (fixedCost > limit) throw noRoom();
    return { messages: [system], tokens: fixedCost, droppedTurns: 0, truncated: false };
  }
  const question = turns.length > 1 ? turns[turns.length - 1] : undefined;
  const middle = turns.slice(1, -1).map(formatTurn);
  let rootMsg = formatTurn(root);
  let questionMsg = question && formatTurn(question);

  const endsCost = cost(rootMsg) + (questionMsg ? cost(questionMsg) : 0);
  const middleCosts = middle.map(cost);
  let middleTotal = middleCosts.reduce((a, b) => a + b, 0);
  let dropped = 0;
  while (dropped < middle.length && fixedCost + endsCost + middleTotal > limit) {
    middleTotal -= middleCosts[dropped] ?? 0;
    dropped++;
  }
  const kept = middle.slice(dropped);
  let truncated = false;

  if (fixedCost + endsCost + middleTotal > limit) {
    truncated = true;
    if (question === undefined) {
      // A lone turn is both the root and the question: keep its end, like a question.
      const fitted = fitTurn(tk, root, limit - fixedCost, 'end');
      if (!fitted) throw noRoom();
      rootMsg = fitted;
    } else {
      const roomForRoot = limit - fixedCost - cost(questionMsg!);
      const fittedRoot = fitTurn(tk, root, roomForRoot, 'start');
      if (fittedRoot) {
        rootMsg = fittedRoot;
      } else {
        rootMsg = formatTurn({ ...root, text: TRUNCATION_MARKER });
        const fittedQuestion = fitTurn(tk, question, limit - fixedCost - cost(rootMsg), 'end');
        if (!fittedQuestion) throw noRoom();
        questionMsg = fittedQuestion;
      }
    }
  }

  const messages = [system, rootMsg, ...kept, ...(questionMsg ? [questionMsg] : [])];
  const tokens = messages.reduce((sum, m) => sum + cost(m), REPLY_PRIMING_TOKENS);
  return { messages, tokens, droppedTurns: dropped, truncated };
};

/**
 * The turn's message with its text cut (keeping its start or its end) so the message costs at
 * most `maxCost` tokens, or undefined if not even the marker fits. The name prefix is kept.
 */
const fitTurn = (
  tk: Tokenizer,
  turn: Turn,
  maxCost: number,
  keep: 'start' | 'end',
): ChatMessage | undefined => {
  const costOf = (text: string) => messageCost(tk, formatTurn({ ...turn, text }));
  if (costOf(turn.text) <= maxCost) return formatTurn(turn);
  if (costOf(TRUNCATION_MARKER) > maxCost) return undefined;
  const tokens = tk.encode(turn.text);
  // Token boundaries can split a multi-byte character; drop the replacement characters that leaves.
  const clean = (s: string) => s.replace(/^\uFFFD+|\uFFFD+$/g, '');
  let n = Math.min(tokens.length - 1, maxCost - costOf(TRUNCATION_MARKER));
  while (n > 0) {
    const text =
      keep === 'start'
        ? `${clean(tk.decode(tokens.slice(0, n))).trimEnd()} ${TRUNCATION_MARKER}`
        : `${TRUNCATION_MARKER} ${clean(tk.decode(tokens.slice(tokens.length - n))).trimStart()}`;
    const over = costOf(text) - maxCost;
    if (over <= 0) return formatTurn({ ...turn, text });
    n -= over;
  }
  return formatTurn({ ...turn, text: TRUNCATION_MARKER });
};
