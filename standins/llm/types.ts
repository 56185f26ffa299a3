/** The OpenAI stand-in's public types: what it records, how it answers, which faults it can play. */

export interface ChatMessageLike {
  role: string;
  content?: unknown;
  name?: string;
}

export interface CompletionRequest {
  /** Date.now() when the request arrived. */
  at: number;
  body: Record<string, unknown>;
  model: string;
  messages: ChatMessageLike[];
  max_tokens: number | undefined;
  stream: boolean;
  authorization: string | undefined;
  /** What happened: `ok`, a fault kind, or `client_closed` when the client went away first. */
  outcome?: 'ok' | 'client_closed' | OpenAIFault['kind'];
  /** The answer it was (or would have been) given in full. */
  answer?: string;
}

export type OpenAIFault =
  /** HTTP 429 `rate_limit_exceeded`, with `retry-after` (seconds) and optionally `retry-after-ms`. */
  | { kind: '429'; retryAfter?: number; retryAfterMs?: number }
  /** HTTP 429 `insufficient_quota`: never succeeds on retry, so no `retry-after`. */
  | { kind: 'insufficient_quota' }
  /** HTTP 5xx (default 500) with OpenAI's `server_error` body. */
  | { kind: '5xx'; status?: number }
  /** Any other status and error body, e.g. 400 `context_length_exceeded`. */
  | {
      kind: 'error';
      status: number;
      error: { message: string; type: string; code: string | null; param?: string | null };
      headers?: Record<string, string>;
    }
  /** Accept and never answer. */
  | { kind: 'hang' }
  /** Stream `afterChunks` content chunks (default 3), then go silent without closing. */
  | { kind: 'stall'; afterChunks?: number }
  /** Stream `afterChunks` content chunks (default 3), then destroy the socket. */
  | { kind: 'cut'; afterChunks?: number };

export interface AnswerSettings {
  /** Delay before the first content chunk (and, when not streaming, part of the total delay). Default 0. */
  ttftMs: number;
  /** Pace of content chunks (one token each). Default Infinity: all at once. */
  tokensPerSecond: number;
  /** Filler words after the context echo. Default 12. */
  words: number;
  /** An explicit answer instead of echo + filler. */
  text?: string | ((req: CompletionRequest) => string);
  /**
   * Extra headers on each successful answer, as OpenAI sends its `x-ratelimit-*` ones
   * (`x-ratelimit-remaining-requests`, `x-ratelimit-reset-tokens`, …). Default: none.
   */
  headers?: (req: CompletionRequest) => Record<string, string>;
  /**
   * The `usage` each answer reports: fixed token counts, `'none'` for a server that sends none
   * (older vLLM, some proxies), or a function of the request. Default: counted from the text.
   */
  usage?:
    | { prompt_tokens: number; completion_tokens: number }
    | 'none'
    | ((req: CompletionRequest) => { prompt_tokens: number; completion_tokens: number } | 'none');
}
