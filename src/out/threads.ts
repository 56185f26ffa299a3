import type { WebClient } from '@slack/web-api';
import type { ThreadTarget, Turn } from '../core/domain.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { boundName, isPlausibleSlackId } from '../core/text.js';
import { toFileRefs } from './files/slack-file.js';
import { stripMention, TEXT_SUBTYPES } from './message-text.js';
import { type ReadMark, readMark } from './metadata.js';
import type { SlackBudget } from './slack-budget.js';
import { toSlackAppError } from './slack-error.js';
import { tableBlockMarkdown } from './tables.js';

interface SlackMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  text?: string;
  username?: string;
  blocks?: unknown[];
  metadata?: unknown;
  files?: unknown[];
}

/** What an earlier run of a background job left in its thread (see `findEarlierRun`). */
export interface EarlierRun {
  ts: string;
  outcome: 'answered' | 'failed';
}

/** Where users' names are cached between reads (a sessions store): users.info is rate-limited. */
export interface NameCache {
  /** The cached name ('' for a user without one), or undefined when it is not cached. */
  get(userId: string): Promise<string | undefined>;
  set(userId: string, name: string): Promise<void>;
}

/** Beyond this many pages of 200 a thread is not searched further (40,000 replies). */
const MAX_PAGES = 200;

/**
 * The text of one of the bot's messages: answers carry it in `markdown` blocks (and a `table`
 * block, read back as Markdown), and their `text` is only a short notification fallback.
 */
const answerTextOf = (m: SlackMessage): string => {
  const parts = (m.blocks ?? []).flatMap((b) => {
    const block = b as { type?: unknown; text?: unknown; rows?: unknown };
    if (block.type === 'table') return [tableBlockMarkdown(block)];
    return block.type === 'markdown' && typeof block.text === 'string' ? [block.text] : [];
  });
  return parts.length ? parts.join('\n') : (m.text ?? '');
};

export interface ThreadReaderDeps {
  client: Pick<WebClient, 'conversations' | 'users'>;
  /** The shared Slack budget: reads are paced, and a 429 waits instead of failing (conversations.replies is rate-limited hard). */
  gate: Pick<SlackBudget, 'run'>;
  names: NameCache;
  identity: { botUserId: string; botId: string };
  logger: Logger;
}

/**
 * Reads a session thread from Slack as turns. Only ever called for session threads (first contact
 * or a stale cache): `conversations.replies` is rate-limited hard for some apps.
 */
export const createThreadReader = (deps: ThreadReaderDeps) => {
  /** The user's name as a one-line label of at most MAX_NAME_CHARS (it goes into every prompt). */
  const displayName = async (userId: string): Promise<string | undefined> => {
    if (!isPlausibleSlackId(userId)) return undefined;
    const cached = await deps.names.get(userId);
    if (cached !== undefined) return boundName(cached) || undefined;
    try {
      const res = await deps.gate.run('users.info', '*', () => deps.client.users.info({ user: userId }));
      const profile = res.user?.profile;
      const candidates = [profile?.display_name, profile?.real_name, res.user?.real_name, res.user?.name];
      const name = candidates.map(boundName).find(Boolean) ?? '';
      await deps.names.set(userId, name);
      return name || undefined;
    } catch (err) {
      deps.logger.debug({ userId, err: errorFields(err) }, 'users.info failed; using the id');
      return undefined;
    }
  };

  const toTurn = async (m: SlackMessage): Promise<Turn | undefined> => {
    if (!m.ts) return undefined;
    const own =
      m.user === deps.identity.botUserId || (m.bot_id !== undefined && m.bot_id === deps.identity.botId);
    if (own) {
      const mark = readMark(m.metadata);
      if (mark?.type === 'note' || mark?.type === 'failure') return undefined;
      if (mark?.type === 'question') {
        const { userId } = mark;
        const question = mark.question ?? m.text ?? '';
        const name = userId ? await displayName(userId) : undefined;
        return {
          role: 'user',
          ...(userId ? { userId } : {}),
          ...(name ? { name } : {}),
          text: question,
          ts: m.ts,
        };
      }
      return { role: 'assistant', text: answerTextOf(m), ts: m.ts };
    }
    if (!TEXT_SUBTYPES.has(m.subtype) && m.subtype !== 'bot_message') return undefined;
    const text = stripMention(m.text ?? '', deps.identity.botUserId);
    const refs = toFileRefs(m.files);
    if (!text && !refs.length) return undefined;
    const files = refs.length ? { files: refs } : {};
    if (m.bot_id || !m.user) return { role: 'user', name: m.username ?? 'a bot', text, ts: m.ts, ...files };
    const name = await displayName(m.user);
    return { role: 'user', userId: m.user, ...(name ? { name } : {}), text, ts: m.ts, ...files };
  };

  /** The thread's messages, root first, a page at a time (through the Slack budget). */
  async function* pages(channelId: string, threadTs: string): AsyncGenerator<SlackMessage[]> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const from = cursor;
      const res = await deps.gate
        .run('conversations.replies', channelId, () =>
          deps.client.conversations.replies({
            channel: channelId,
            ts: threadTs,
            limit: 200,
            include_all_metadata: true,
            ...(from ? { cursor: from } : {}),
          }),
        )
        // Classified once, so a 5xx or a timeout is retryable for whoever reads (BullMQ retries the
        // job) and a raw WebClient error (which can carry the request config) never leaves here.
        .catch((err: unknown) => {
          throw toSlackAppError(err, 'conversations.replies');
        });
      yield (res.messages ?? []) as SlackMessage[];
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return;
    }
    deps.logger.warn({ channelId, pages: MAX_PAGES }, 'thread too long to read to the end');
  }

  /** The first message in the thread whose mark matches (any sender's: only the bot writes ours). */
  const findMarked = async (
    channelId: string,
    threadTs: string,
    match: (mark: ReadMark) => boolean,
  ): Promise<{ ts: string; mark: ReadMark } | undefined> => {
    for await (const page of pages(channelId, threadTs)) {
      for (const m of page) {
        const mark = readMark(m.metadata);
        if (m.ts && mark && match(mark)) return { ts: m.ts, mark };
      }
    }
    return undefined;
  };

  return {
    displayName,
    async read(channelId: string, threadTs: string): Promise<Turn[]> {
      const turns: Turn[] = [];
      for await (const page of pages(channelId, threadTs)) {
        for (const m of page) {
          const turn = await toTurn(m);
          if (turn) turns.push(turn);
        }
      }
      return turns;
    },
    /**
     * What an earlier run of background job `jobId` left in the thread: its answer (marked with the
     * job id) or its failure note. Finding either proves the earlier run got that far, so a re-run
     * neither posts twice nor fails twice.
     */
    async findEarlierRun(
      thread: Pick<ThreadTarget, 'channelId' | 'threadTs'>,
      jobId: string,
    ): Promise<EarlierRun | undefined> {
      const hit = await findMarked(
        thread.channelId,
        thread.threadTs,
        (mark) => (mark.type === 'answer' || mark.type === 'failure') && mark.jobId === jobId,
      );
      if (!hit) return undefined;
      return { ts: hit.ts, outcome: hit.mark.type === 'answer' ? 'answered' : 'failed' };
    },
  };
};

export type ThreadReader = ReturnType<typeof createThreadReader>;
