import type { ChatMessage, Turn } from '../core/domain.js';
import { boundName, boundText } from '../core/text.js';

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

/**
 * `"Alice: …"`; falls back to the user id when no display name is known. One line of at most
 * MAX_NAME_CHARS, whatever users.info, a slash command or a bot's username said.
 */
export const speakerOf = (turn: Turn): string => boundName(turn.name) || boundName(turn.userId) || 'someone';

/**
 * Every turn reaches the prompt through here, so here its text is bounded (bounds.ts). A user
 * turn's files follow its text (their size is bounded where they are read, files.ts); its images,
 * when vision is on, become image parts after the text.
 */
export const formatTurn = (turn: Turn): ChatMessage => {
  if (turn.role === 'assistant') return { role: 'assistant', content: boundText(turn.text) };
  const text = `${speakerOf(turn)}: ${boundText(turn.text)}${turn.attachments ? `\n\n${turn.attachments}` : ''}`;
  if (!turn.images?.length) return { role: 'user', content: text };
  return {
    role: 'user',
    content: [
      { type: 'text', text },
      ...turn.images.map((i) => ({
        type: 'image_url' as const,
        image_url: { url: i.url, detail: 'auto' as const },
      })),
    ],
  };
};

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
