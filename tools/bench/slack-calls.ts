import { PLACEHOLDER_TEXT } from '../../src/out/poster.js';
import {
  botReplies,
  type RecordedCall,
  type SlackApiStandin,
  shownText,
} from '../../standins/slack/index.js';

/** Reading the Slack stand-in's call records: which calls are writes, whose they are, what they show. */

/** Slack writes counted per answer. */
export const isWrite = (method: string): boolean =>
  method.startsWith('chat.') ||
  method.startsWith('reactions.') ||
  method.startsWith('agents.sessions.') ||
  method.startsWith('assistant.threads.') ||
  method === 'views.publish';

export const WRITE_METHODS_NOTE =
  'chat.*, reactions.*, agents.sessions.*, assistant.threads.*, views.publish';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export const channelOf = (c: RecordedCall): string => str(c.params.channel) || str(c.params.channel_id);

const ok = (c: RecordedCall) => c.status === 200 && c.response?.ok === true;

/** A visible sign that the bot is at work: session, thread status, placeholder or the start of a stream. */
export const isFirstSign = (c: RecordedCall): boolean =>
  ok(c) &&
  ((c.method === 'agents.sessions.setStatus' && str(c.params.status) === 'processing') ||
    (c.method === 'assistant.threads.setStatus' && str(c.params.status) !== '') ||
    c.method === 'chat.postMessage' ||
    c.method === 'chat.startStream');

/** Answer text this call put on screen ('' when none). */
export const answerTextOf = (c: RecordedCall): string => {
  if (!ok(c)) return '';
  switch (c.method) {
    case 'chat.startStream':
    case 'chat.appendStream':
    case 'chat.stopStream':
      return str(c.params.markdown_text);
    case 'chat.postMessage':
    case 'chat.update': {
      const t = str(c.params.text);
      return t === PLACEHOLDER_TEXT ? '' : t;
    }
    default:
      return '';
  }
};

export type ThreadOutcome = 'answered' | 'failed' | 'pending';

/** Whether the bot's answer in a thread is complete (ends with `marker`, stream closed) or failed. */
export const threadOutcome = (
  slack: SlackApiStandin,
  channel: string,
  threadTs: string,
  marker: string,
): ThreadOutcome => {
  const replies = botReplies(slack, channel, threadTs);
  if (replies.some((m) => shownText(m).includes(marker) && m.stream !== 'streaming')) return 'answered';
  if (replies.some((m) => shownText(m).includes('⚠️') && m.stream !== 'streaming')) return 'failed';
  return 'pending';
};

/** Waits until every thread has an outcome, or the deadline passes (the rest stay `pending`). */
export const waitForThreads = async (
  slack: SlackApiStandin,
  threads: readonly { channel: string; ts: string }[],
  marker: string,
  timeoutMs: number,
): Promise<ThreadOutcome[]> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcomes = threads.map((t) => threadOutcome(slack, t.channel, t.ts, marker));
    if (outcomes.every((o) => o !== 'pending') || Date.now() > deadline) return outcomes;
    await new Promise((r) => setTimeout(r, 50));
  }
};
