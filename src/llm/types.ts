import type { Config } from '../core/config.js';
import type { ChatMessage } from '../core/domain.js';

/** The LLM client's contract: what a call takes and gives back. */

export type LlmConfig = Omit<Config['openai'], 'systemPrompt' | 'contextTokenBudget'>;

export interface LlmRequest {
  messages: ChatMessage[];
  /** Defaults to OPENAI_MODEL; the workspace's or channel's policy may name another. */
  model?: string;
  /** Defaults to MAX_ANSWER_TOKENS. */
  maxTokens?: number;
  /** Cancels the call (→ AppError `cancelled`). */
  signal?: AbortSignal;
  /** Called with each new piece of text, in order. */
  onDelta?: (delta: string) => void;
  /**
   * In-process retries; defaults to LLM_MAX_RETRIES. The queue worker passes 0 so that BullMQ owns
   * the retries: the classified error says whether to retry (`retryable`) and when (`retryAfterMs`).
   */
  retries?: number;
  /** Whose request the call answers: its tokens count against their budgets (usage.ts). */
  account?: { teamId: string; userId: string };
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface LlmResult {
  text: string;
  /** `stop`, `length` (hit max_tokens), `content_filter`, … as the server reported it. */
  finishReason: string;
  /** Absent when the server ignores `stream_options.include_usage` (older vLLM, some proxies). */
  usage?: LlmUsage;
  model: string;
  /** From the call to the end of the stream, retries included. */
  ms: number;
  /** From the call to the first piece of text; undefined when the answer was empty. */
  firstTokenMs: number | undefined;
  attempts: number;
}

export interface LlmClient {
  stream(req: LlmRequest): Promise<LlmResult>;
}
