import type { ChatMessage, Turn } from '../domain.js';

/**
 * Chat Completions messages from a thread. Several people can talk in one Slack thread, but the
 * API has one `user` role: each user turn is prefixed with its author's name so the model can tell
 * them apart (the default system prompt says so). Consecutive turns stay separate messages rather
 * than being merged, so each keeps its author.
 */

export interface BuildMessagesInput {
  systemPrompt: string;
  turns: readonly Turn[];
  /** When given, the system prompt tells the model the current date (it otherwise has no clock). */
  now?: Date;
}

/** `"Alice: …"`; falls back to the user id when no display name is known. */
export const speakerOf = (turn: Turn): string => turn.name?.trim() || turn.userId || 'someone';

export const formatTurn = (turn: Turn): ChatMessage =>
  turn.role === 'assistant'
    ? { role: 'assistant', content: turn.text }
    : { role: 'user', content: `${speakerOf(turn)}: ${turn.text}` };

export const systemMessage = (systemPrompt: string, now?: Date): ChatMessage => ({
  role: 'system',
  content:
    now === undefined
      ? systemPrompt
      : `${systemPrompt}\n\nCurrent date and time: ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
});

export const buildMessages = ({ systemPrompt, turns, now }: BuildMessagesInput): ChatMessage[] => [
  systemMessage(systemPrompt, now),
  ...turns.map(formatTurn),
];
