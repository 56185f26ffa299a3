import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Turn } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import { boundName, isPlausibleSlackId } from '../core/text.js';
import { TEXT_SUBTYPES } from '../edge/payloads.js';
import type { Keys } from '../sessions/keys.js';
import { stripMention } from './mentions.js';
import type { RateGate } from './rate-gate.js';
import { toSlackAppError } from './slack-error.js';

/**
 * Metadata event types the bot puts on its own messages, so a thread read back from Slack tells
 * the bot's answers from its notes, and an /ask root (posted by the bot) from the asker's words.
 */
export const METADATA = {
  /** The thread root the bot posts for `/ask`; payload `{ user, question }`. It is a user turn. */
  question: 'backchannel_question',
  /** An answer; payload `{ request_id, job_id? }`. */
  answer: 'backchannel_answer',
  /** Status notes ("Queued…", errors); never sent to the model. */
  note: 'backchannel_note',
} as const;

interface SlackMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  text?: string;
  username?: string;
  blocks?: unknown[];
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/** A message found by its metadata. */
export interface MetadataHit {
  ts: string;
  eventType: string;
  payload: Record<string, unknown>;
}

/** Beyond this many pages of 200 a thread is not searched further (40,000 replies). */
const MAX_PAGES = 200;

/**
 * The text of one of the bot's messages: answers carry it in `markdown` blocks, and their `text`
 * is only a short notification fallback.
 */
const answerTextOf = (m: SlackMessage): string => {
  const parts = (m.blocks ?? []).flatMap((b) => {
    const block = b as { type?: unknown; text?: unknown };
    return block.type === 'markdown' && typeof block.text === 'string' ? [block.text] : [];
  });
  return parts.length ? parts.join('\n') : (m.text ?? '');
};

export interface ThreadReaderDeps {
  client: Pick<WebClient, 'conversations' | 'users'>;
  /** 429s wait per method and channel instead of failing (conversations.replies is rate-limited hard). */
  gate: Pick<RateGate, 'run'>;
  redis: Redis;
  keys: Pick<Keys, 'prefix'>;
  identity: { botUserId: string; botId: string };
  logger: Logger;
}

const NAME_TTL_SECONDS = 86_400;

/**
 * Reads a session thread from Slack as turns. Only ever called for session threads (first contact
 * or a stale cache): `conversations.replies` is rate-limited hard for some apps.
 */
export const createThreadReader = (deps: ThreadReaderDeps) => {
  const nameKey = (userId: string) => `${deps.keys.prefix}:name:${userId}`;

  /** The user's name as a one-line label of at most MAX_NAME_CHARS (it goes into every prompt). */
  const displayName = async (userId: string): Promise<string | undefined> => {
    if (!isPlausibleSlackId(userId)) return undefined;
    const cached = await deps.redis.get(nameKey(userId));
    if (cached !== null) return boundName(cached) || undefined;
    try {
      const res = await deps.gate.run('users.info', '*', () => deps.client.users.info({ user: userId }));
      const profile = res.user?.profile;
      const candidates = [profile?.display_name, profile?.real_name, res.user?.real_name, res.user?.name];
      const name = candidates.map(boundName).find(Boolean) ?? '';
      await deps.redis.set(nameKey(userId), name, 'EX', NAME_TTL_SECONDS);
      return name || undefined;
    } catch (err) {
      deps.logger.debug(
        { userId, err: { message: (err as Error).message } },
        'users.info failed; using the id',
      );
      return undefined;
    }
  };

  const toTurn = async (m: SlackMessage): Promise<Turn | undefined> => {
    if (!m.ts) return undefined;
    const meta = m.metadata;
    const own =
      m.user === deps.identity.botUserId || (m.bot_id !== undefined && m.bot_id === deps.identity.botId);
    if (own) {
      if (meta?.event_type === METADATA.note) return undefined;
      if (meta?.event_type === METADATA.question) {
        const userId = typeof meta.event_payload?.user === 'string' ? meta.event_payload.user : undefined;
        const question =
          typeof meta.event_payload?.question === 'string' ? meta.event_payload.question : (m.text ?? '');
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
    if (!text) return undefined;
    if (m.bot_id || !m.user) return { role: 'user', name: m.username ?? 'a bot', text, ts: m.ts };
    const name = await displayName(m.user);
    return { role: 'user', userId: m.user, ...(name ? { name } : {}), text, ts: m.ts };
  };

  /** The thread's messages, root first, a page at a time (through the rate gate). */
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
     * The first of the bot's messages in the thread whose metadata matches: how a re-run job proves
     * that an earlier run already posted.
     */
    async findByMetadata(
      channelId: string,
      threadTs: string,
      match: (eventType: string, payload: Record<string, unknown>) => boolean,
    ): Promise<MetadataHit | undefined> {
      for await (const page of pages(channelId, threadTs)) {
        for (const m of page) {
          const eventType = m.metadata?.event_type;
          const payload = m.metadata?.event_payload ?? {};
          if (m.ts && eventType && match(eventType, payload)) return { ts: m.ts, eventType, payload };
        }
      }
      return undefined;
    },
  };
};

export type ThreadReader = ReturnType<typeof createThreadReader>;
