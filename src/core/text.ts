import type { Turn } from './domain.js';

/**
 * Bounds on every user-controlled string that reaches the prompt. Token counting and the prompt
 * grow with these strings, and some arrive by paths Slack does not bound for us (a slash command's
 * user id, a profile field, metadata the bot wrote itself), so they are cut here, whatever the path.
 */

/** Slack truncates message text past 40,000 characters (`msg_too_long`): no turn needs more. */
export const MAX_TURN_CHARS = 40_000;
/** Display names, user ids and bot usernames are labels on a turn, never content. */
export const MAX_NAME_CHARS = 80;
/** Stands for the text cut out of a truncated turn. */
export const TRUNCATION_MARKER = '[…]';

/** The first `max` UTF-16 units of `s`, never ending in half of a surrogate pair. */
const cut = (s: string, max: number): string => {
  if (s.length <= max) return s;
  const end = /[\uD800-\uDBFF]/.test(s.charAt(max - 1)) ? max - 1 : max;
  return s.slice(0, end);
};

/** Turn text, its start kept, at most MAX_TURN_CHARS plus the marker. */
export const boundText = (text: string): string =>
  text.length <= MAX_TURN_CHARS ? text : `${cut(text, MAX_TURN_CHARS)} ${TRUNCATION_MARKER}`;

/**
 * A name as a one-line label of at most MAX_NAME_CHARS: line breaks and control characters would
 * let a name forge a new speaker's line in the prompt.
 */
export const boundName = (name: string | undefined): string =>
  cut((name ?? '').replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ').trim(), MAX_NAME_CHARS).trim();

/** Slack ids are short and alphanumeric; anything else is not worth a users.info call or a Redis key. */
export const isPlausibleSlackId = (id: string): boolean => /^[A-Za-z0-9_-]{1,64}$/.test(id);

/** The turn with its text and labels bounded: the same object when already within bounds. */
export const boundTurn = (turn: Turn): Turn => {
  const text = boundText(turn.text);
  const name = turn.name === undefined ? undefined : boundName(turn.name);
  const userId = turn.userId === undefined ? undefined : boundName(turn.userId);
  if (text === turn.text && name === turn.name && userId === turn.userId) return turn;
  // A count taken of the unbounded turn no longer holds.
  const { tokens: _stale, ...rest } = turn;
  return {
    ...rest,
    text,
    ...(name !== undefined ? { name } : {}),
    ...(userId !== undefined ? { userId } : {}),
  };
};
