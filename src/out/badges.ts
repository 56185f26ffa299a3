import { bestEffort } from '../core/best-effort.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';

/**
 * Where a background request is, as its asker sees it. Which emoji shows each one is configured
 * (EMOJI_QUEUED, …). Only how a request ended is a reaction on the message that asked it (✅, ❌,
 * 🚫): one `reactions.add`, nothing to take off. Where it waits (⏳ and its place in the queue) is
 * said by the request's one note in the thread, which becomes the answer in place; a badge switch
 * would cost an add and a remove per state (and `reactions.remove` is the scarcer method).
 * `queued` names that note's emoji.
 */
export type Badge = 'queued' | 'done' | 'failed' | 'cancelled';

export type BadgeEmoji = Pick<Config['emoji'], Badge>;

export interface Reactions {
  react(channel: string, ts: string, name: string): Promise<void>;
  unreact(channel: string, ts: string, name: string): Promise<void>;
}

/**
 * Puts badge `to` on, then takes off those in `from`: badges this request is known to wear (a
 * retried request's ❌ or 🚫, from its record), never a guess, so no removal can only fail
 * (`no_reaction`). Reactions are idempotent, so a re-run may repeat it safely; a stale badge
 * that will not come off is left (the new one is on).
 */
export const switchBadge = async (
  reactions: Reactions,
  emoji: BadgeEmoji,
  at: { channel: string; ts: string },
  to: Badge,
  from: readonly Badge[],
  log: Logger,
): Promise<void> => {
  await reactions.react(at.channel, at.ts, emoji[to]);
  // Compared as emoji: two badges configured alike are one reaction, which must stay on.
  for (const stale of from)
    if (emoji[stale] !== emoji[to])
      await bestEffort(log, 'stale badge removal', () => reactions.unreact(at.channel, at.ts, emoji[stale]));
};
