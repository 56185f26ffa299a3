import type { Config } from '../core/config.js';
import type { ChatMessage, FileRef, Turn } from '../core/domain.js';
import { trimToBudget } from '../llm/budget.js';
import type { HistoryStore, ThreadRef } from '../sessions/history.js';
import { type FileResolver, filesUsed } from './files.js';

export interface BuiltContext {
  messages: ChatMessage[];
  /** Prompt tokens after trimming. */
  tokens: number;
  droppedTurns: number;
  /** Names of the shared files whose contents are in `messages` (for the result modal). */
  files: string[];
}

export interface ContextDeps {
  history: Pick<HistoryStore, 'load'>;
  reader: { displayName(userId: string): Promise<string | undefined> };
  config: Pick<Config['openai'], 'systemPrompt' | 'contextTokenBudget' | 'maxAnswerTokens'>;
  /** Reads the turns' shared files into them; without it, files are left out of the prompt. */
  files?: Pick<FileResolver, 'expand'>;
}

/**
 * The Chat Completions messages for one question: the session thread up to and including the
 * question (later messages belong to later questions), trimmed to the token budget. Used alike by
 * the foreground and the background worker.
 */
export interface QuestionRef extends ThreadRef {
  userId: string;
  question: string;
  /** ts of the question's turn (the user's message, or the /ask root). */
  questionTs: string;
  /** Read the thread from Slack rather than the cache. */
  fresh: boolean;
  /** The question started the thread: nothing to read. */
  isNew?: boolean;
  /** The policy's system prompt for this request; defaults to SYSTEM_PROMPT. */
  systemPrompt?: string | undefined;
  /** Files shared with the question's message. */
  files?: FileRef[] | undefined;
}

export const createContextBuilder = (deps: ContextDeps) => ({
  /** The context for a user's question: their turn (with their display name) at the end of the thread. */
  async forQuestion(q: QuestionRef): Promise<BuiltContext> {
    const name = await deps.reader.displayName(q.userId);
    const turn: Turn = {
      role: 'user',
      userId: q.userId,
      ...(name ? { name } : {}),
      text: q.question,
      ts: q.questionTs,
      ...(q.files?.length ? { files: q.files } : {}),
    };
    return this.build({ teamId: q.teamId, channelId: q.channelId, threadTs: q.threadTs }, turn, {
      fresh: q.fresh,
      isNew: q.isNew ?? false,
      systemPrompt: q.systemPrompt,
    });
  },
  async build(
    thread: ThreadRef,
    question: Turn,
    opts: { fresh: boolean; isNew?: boolean; systemPrompt?: string | undefined },
  ): Promise<BuiltContext> {
    const { turns } = await deps.history.load(thread, {
      fresh: opts.fresh,
      isNew: opts.isNew ?? false,
      extra: [question],
    });
    // Later questions belong to later answers; the bot's answers so far all precede this one (one
    // answer at a time per thread), so they stay, and the question goes last: the cache's copy,
    // which carries its token count.
    const upTo = [
      ...turns.filter(
        (t) => t.ts !== question.ts && (t.role === 'assistant' || Number(t.ts) < Number(question.ts)),
      ),
      turns.find((t) => t.ts === question.ts) ?? question,
    ];
    // A file's text counts as its turn's tokens: read before trimming, so trimming sees it.
    const withFiles = deps.files ? await deps.files.expand(thread.teamId, upTo) : upTo;
    const trimmed = await trimToBudget({
      systemPrompt: opts.systemPrompt ?? deps.config.systemPrompt,
      turns: withFiles,
      budget: deps.config.contextTokenBudget,
      reserve: deps.config.maxAnswerTokens,
    });
    return {
      messages: trimmed.messages,
      tokens: trimmed.tokens,
      droppedTurns: trimmed.droppedTurns,
      files: filesUsed(withFiles, trimmed.messages),
    };
  },
});

export type ContextBuilder = ReturnType<typeof createContextBuilder>;
