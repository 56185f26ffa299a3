/**
 * Plain domain types shared by the modules inside the Slack edge. Slack payload shapes stay in
 * `slack/`; everything past the listeners speaks these.
 */

/** How the request reached us. */
export type RequestSource = 'mention' | 'thread_reply' | 'dm' | 'command';

/** A user's message the bot accepted: written to Redis before the ack. */
export interface AcceptedRequest {
  /** Stable id: `${teamId}:${channelId}:${ts}` for messages; `${teamId}:cmd:${triggerId}` for commands. */
  id: string;
  source: RequestSource;
  teamId: string;
  channelId: string;
  userId: string;
  /** The question, with the bot's own mention removed. */
  text: string;
  /** ts of the user's message (absent for slash commands until the bot posts the thread root). */
  ts?: string;
  /** Thread the message is in (absent for a top-level message). */
  threadTs?: string;
  /** A direct message with the bot: every message there is a request. */
  isDm: boolean;
  /** Slash command only: where to answer the command privately. */
  responseUrl?: string;
  receivedAt: number;
}

/** One turn of a session thread, as the LLM sees it. */
export interface Turn {
  /** The bot's own messages are `assistant`, everyone else's `user`. */
  role: 'user' | 'assistant';
  userId?: string;
  /** Display name, prefixed to user turns. */
  name?: string;
  text: string;
  ts: string;
  /**
   * Tokens of the turn's prompt message content (o200k, bounded counter), counted once when the
   * turn entered the history cache, so trimming never re-tokenizes the thread.
   */
  tokens?: number;
}

/** A Chat Completions message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Where an answer goes. */
export interface ThreadTarget {
  teamId: string;
  channelId: string;
  threadTs: string;
  /** The user the answer is for (native streaming outside DMs needs it). */
  userId: string;
  isDm: boolean;
}

export type Priority = 'high' | 'normal' | 'low';
