import type { Config } from '../core/config.js';

/**
 * How a background request ended, as a reaction on the message that asked it (✅, ❌, 🚫; the
 * emoji are configured: EMOJI_DONE, …). One `reactions.add` each; a retry takes its ❌ or 🚫 off
 * (`reactions.remove` is the scarcer method, so nothing else is ever taken off). Where a request
 * waits is said by its one note in the thread, which becomes the answer in place, not by a badge.
 */
export type Badge = 'done' | 'failed' | 'cancelled';

export type BadgeEmoji = Pick<Config['emoji'], Badge>;
