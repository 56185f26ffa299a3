import type { Config } from '../core/config.js';
import type { SlackPoster } from './poster.js';

/** Every badge a background request can wear. */
export const allBadges = (emoji: Config['emoji']): string[] => [
  emoji.queued,
  emoji.running,
  emoji.done,
  emoji.failed,
  emoji.cancelled,
];

/**
 * Switches a request's badge: the new one goes on first (the message is never left bare), then the
 * ones that can be there at this step come off. Reactions are idempotent on both sides, so a
 * re-run may repeat a switch safely.
 */
export const switchBadge = async (
  poster: Pick<SlackPoster, 'react' | 'unreact'>,
  channel: string,
  ts: string,
  to: string,
  from: readonly string[],
): Promise<void> => {
  await poster.react(channel, ts, to);
  for (const stale of from) if (stale !== to) await poster.unreact(channel, ts, stale).catch(() => {});
};
