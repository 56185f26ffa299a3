import { bestEffort } from '../core/best-effort.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';

/**
 * The badge a background request wears on the message that asked it (a reaction): where it is.
 * Which emoji shows each one is configured (EMOJI_QUEUED, …).
 */
export type Badge = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export type BadgeEmoji = Pick<Config['emoji'], Badge>;

const ALL: readonly Badge[] = ['queued', 'running', 'done', 'failed', 'cancelled'];

export interface Reactions {
  react(channel: string, ts: string, name: string): Promise<void>;
  unreact(channel: string, ts: string, name: string): Promise<void>;
}

/**
 * Switches a request's badge: the new one goes on first (the message is never left bare), then the
 * ones that can be there at this step come off (`'any'`: a re-run does not know, so every other one
 * does). Reactions are idempotent on both sides, so a re-run may repeat a switch safely; a stale
 * badge that will not come off is left (the new one is on).
 */
export const switchBadge = async (
  reactions: Reactions,
  emoji: BadgeEmoji,
  at: { channel: string; ts: string },
  to: Badge,
  from: readonly Badge[] | 'any',
  log: Logger,
): Promise<void> => {
  await reactions.react(at.channel, at.ts, emoji[to]);
  // Compared as emoji: two badges configured alike are one reaction, which must stay on.
  for (const stale of from === 'any' ? ALL : from)
    if (emoji[stale] !== emoji[to])
      await bestEffort(log, 'stale badge removal', () => reactions.unreact(at.channel, at.ts, emoji[stale]));
};
