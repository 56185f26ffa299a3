import { readFile } from 'node:fs/promises';
import { type ChatMessage, contentImages, contentText, type Turn } from '../core/domain.js';
import { AppError } from '../core/errors.js';
import { boundText, TRUNCATION_MARKER } from '../core/text.js';
import { createBpeEncoder, parseRanks } from './bpe.js';
import { formatTurn, systemMessage } from './prompt.js';
import { type BoundedTokenizer, createBoundedTokenizer, createSlicer, O200K_PATTERN } from './tokenize.js';

/**
 * Token counting with a real tokenizer (o200k_base, the encoding of the gpt-4o, gpt-4.1, o-series
 * and gpt-5 families; for Ollama or vLLM models it is an estimate, which is all a budget needs),
 * bounded in time whatever the text (see tokenize.ts) and yielding to the event loop as it goes.
 *
 * The encoder is our own byte-pair merge (bpe.ts) over OpenAI's o200k_base ranks, as shipped in
 * the `gpt-tokenizer` package's data folder: the same tokens as `js-tiktoken` (tested), a fraction
 * of its memory, and loaded without blocking the event loop (the file is read asynchronously and
 * parsed in 5 ms slices), where js-tiktoken's load blocked it for 0.5-3 s. It is loaded lazily, on
 * the first count: a process that has counted nothing (a worker with an empty queue, a web process
 * before its first question) holds none of it. Every function here is async.
 */

/** Approximate per-message framing (`<|start|>role…<|end|>`), as in OpenAI's token-counting guide. */
export const TOKENS_PER_MESSAGE = 4;
/** Every reply is primed with `<|start|>assistant<|message|>`. */
export const REPLY_PRIMING_TOKENS = 3;
export { TRUNCATION_MARKER };

export type Tokenizer = BoundedTokenizer;

let loading: Promise<Tokenizer> | undefined;

export const isTokenizerLoaded = (): boolean => loading !== undefined;

/** Loads the o200k_base encoder once; later calls share it. A failed load is retried next time. */
export const loadTokenizer = (): Promise<Tokenizer> => {
  if (loading) return loading;
  const pending = (async (): Promise<Tokenizer> => {
    // The ranks from gpt-tokenizer's copy of OpenAI's o200k_base.tiktoken, read and parsed without
    // blocking the event loop; the encoder is ours (bpe.ts), so nothing is built in one block.
    const file = new URL(import.meta.resolve('gpt-tokenizer/data/o200k_base.tiktoken'));
    const ranks = await parseRanks(await readFile(file, 'latin1'), createSlicer());
    return createBoundedTokenizer(createBpeEncoder(ranks, O200K_PATTERN), O200K_PATTERN);
  })();
  loading = pending;
  // A failed load is not cached, so the next call tries again. The failure itself reaches every
  // caller through `pending`; this branch only forgets it.
  pending.catch(() => {
    if (loading === pending) loading = undefined;
  });
  return pending;
};

/**
 * What one image input costs, as an estimate: OpenAI bills a high-detail image by its 512 px tiles
 * (85 + 170 per tile); images are resized to at most 2048 × 768 px (files.ts), at most 6 tiles.
 */
export const IMAGE_TOKENS = 85 + 170 * 6;

const messageCost = async (tk: Tokenizer, message: ChatMessage): Promise<number> =>
  TOKENS_PER_MESSAGE +
  (await tk.count(contentText(message.content))) +
  IMAGE_TOKENS * contentImages(message.content);

export const countTokens = async (text: string): Promise<number> => (await loadTokenizer()).count(text);

/** Tokens of a turn's prompt message content: what the history cache stores as `Turn.tokens`. */
export const turnTokens = async (turn: Turn): Promise<number> => {
  const { content } = formatTurn(turn);
  return (await (await loadTokenizer()).count(contentText(content))) + IMAGE_TOKENS * contentImages(content);
};

/** Prompt tokens of a Chat Completions request, approximately as the API bills them. */
export const countMessages = async (messages: readonly ChatMessage[]): Promise<number> => {
  const tk = await loadTokenizer();
  let sum = REPLY_PRIMING_TOKENS;
  for (const m of messages) sum += await messageCost(tk, m);
  return sum;
};

export interface TrimInput {
  systemPrompt: string;
  /** The thread, root first; a turn's `tokens`, when present, is trusted instead of counting it. */
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

interface Priced {
  message: ChatMessage;
  cost: number;
}

/**
 * Fits a thread into `budget - reserve` prompt tokens. The budget covers the whole request
 * because servers reject prompt + max_tokens beyond the context window; the answer's share is
 * reserved up front so a long thread never squeezes the answer out.
 *
 * Drops the oldest turns first but always keeps the thread root (it says what the thread is about)
 * and the newest turn (the question being asked). If those two alone overflow, the root is cut
 * from its end, then the question from its start, keeping its end, where the question usually is.
 * Middle turns are priced newest first, and those that cannot fit are never counted.
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
  const price = async (turn: Turn): Promise<Priced> => {
    const message = formatTurn(turn);
    const cost =
      turn.tokens !== undefined ? TOKENS_PER_MESSAGE + turn.tokens : await messageCost(tk, message);
    return { message, cost };
  };
  const system = systemMessage(systemPrompt, now);
  const fixedCost = (await messageCost(tk, system)) + REPLY_PRIMING_TOKENS;

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
  let rootMsg = await price(root);
  let questionMsg = question && (await price(question));

  const middle = turns.slice(1, -1);
  let room = limit - fixedCost - rootMsg.cost - (questionMsg?.cost ?? 0);
  const kept: Priced[] = [];
  for (let i = middle.length - 1; i >= 0; i--) {
    const priced = await price(middle[i]!);
    if (priced.cost > room) break;
    room -= priced.cost;
    kept.unshift(priced);
  }
  const dropped = middle.length - kept.length;
  let truncated = false;

  if (room < 0) {
    truncated = true;
    if (question === undefined || questionMsg === undefined) {
      // A lone turn is both the root and the question: keep its end, like a question.
      const fitted = await fitTurn(tk, root, rootMsg, limit - fixedCost, 'end');
      if (!fitted) throw noRoom();
      rootMsg = fitted;
    } else {
      const roomForRoot = limit - fixedCost - questionMsg.cost;
      const fittedRoot = await fitTurn(tk, root, rootMsg, roomForRoot, 'start');
      if (fittedRoot) {
        rootMsg = fittedRoot;
      } else {
        rootMsg = await price({ ...root, text: TRUNCATION_MARKER, tokens: undefined });
        const roomForQuestion = limit - fixedCost - rootMsg.cost;
        const fittedQuestion = await fitTurn(tk, question, questionMsg, roomForQuestion, 'end');
        if (!fittedQuestion) throw noRoom();
        questionMsg = fittedQuestion;
      }
    }
  }

  const priced = [rootMsg, ...kept, ...(questionMsg ? [questionMsg] : [])];
  return {
    messages: [system, ...priced.map((p) => p.message)],
    tokens: priced.reduce((sum, p) => sum + p.cost, fixedCost),
    droppedTurns: dropped,
    truncated,
  };
};

/**
 * The turn's message (`full`, already priced) with its text cut (keeping its start or its end) so
 * the message costs at most `maxCost` tokens, or undefined if not even the marker fits. The name
 * prefix is kept.
 */
const fitTurn = async (
  tk: Tokenizer,
  turn: Turn,
  full: Priced,
  maxCost: number,
  keep: 'start' | 'end',
): Promise<Priced | undefined> => {
  const priced = async (text: string): Promise<Priced> => {
    const message = formatTurn({ ...turn, text, attachments: undefined });
    return { message, cost: await messageCost(tk, message) };
  };
  if (full.cost <= maxCost) return full;
  const marker = await priced(TRUNCATION_MARKER);
  if (marker.cost > maxCost) return undefined;
  // A turn's files are cut with its text, on the side that goes: the question (its end kept) reads
  // its files first so its own words survive; the root (its start kept) keeps its words first.
  const body = !turn.attachments
    ? boundText(turn.text)
    : keep === 'end'
      ? `${turn.attachments}\n\n${boundText(turn.text)}`
      : `${boundText(turn.text)}\n\n${turn.attachments}`;
  const tokens = await tk.encode(body);
  // Token boundaries can split a multi-byte character; drop the replacement characters that leaves.
  const clean = (s: string) => s.replace(/^\uFFFD+|\uFFFD+$/g, '');
  let n = Math.min(tokens.length - 1, maxCost - marker.cost);
  // Each retry steps back twice as far as the overshoot says, so a text that re-encodes a little
  // longer than its tokens (cut pieces) costs at most log2(n) counts, not n.
  for (let attempt = 0; n > 0; attempt++) {
    const text =
      keep === 'start'
        ? `${clean(tk.decode(tokens.slice(0, n))).trimEnd()} ${TRUNCATION_MARKER}`
        : `${TRUNCATION_MARKER} ${clean(tk.decode(tokens.slice(tokens.length - n))).trimStart()}`;
    const candidate = await priced(text);
    const over = candidate.cost - maxCost;
    if (over <= 0) return candidate;
    n -= over * 2 ** attempt;
  }
  return marker;
};
