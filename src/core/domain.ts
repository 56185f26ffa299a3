/**
 * Plain domain types shared by every layer. Slack payload shapes stay in `edge/payloads.ts`;
 * everything past the listeners speaks these.
 */

/** How the request reached us. */
export type RequestSource = 'mention' | 'thread_reply' | 'dm' | 'command' | 'shortcut';

/**
 * A message shortcut (manifest `shortcuts`, type `message`): *Ask Backchannel about this* (`ask`,
 * through its modal), *Summarize thread* (`summarize`) and *Answer in background* (`later`).
 */
export type ShortcutKind = 'ask' | 'summarize' | 'later';

/** What a shortcut was used on, read at the edge. */
export interface ShortcutUse {
  kind: ShortcutKind;
  /** The message the shortcut was used on (its thread is the request's `threadTs`). */
  messageTs: string;
  /**
   * The request's place in its thread's order, ts-shaped: when the shortcut was used (Slack's
   * `action_ts`), or the modal submitted.
   */
  orderTs: string;
  /** `ask`: the start of the message asked about, quoted for the model. */
  excerpt?: string;
}

/**
 * What an `/ask` command asks for, parsed once at the edge. `help` never gets this far: the edge
 * answers it in the ack.
 */
export type AskCommand =
  | { action: 'sessions' }
  | { action: 'cancel' }
  | { action: 'usage' }
  | { action: 'ask'; question: string };

/** A user's message the bot accepted: written to Redis before the ack. */
export interface AcceptedRequest {
  /**
   * Stable id: `${teamId}:${channelId}:${ts}` for messages; `${teamId}:cmd:${triggerId}` for commands;
   * `${teamId}:sc:${triggerId}` for message shortcuts.
   */
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
  /** Slash command only: what it asks for. */
  command?: AskCommand;
  /**
   * Message shortcut only: which, and on what. `text` is the question typed in the modal (`ask`),
   * the message's text (`later`), or empty (`summarize`); `responseUrl` is the shortcut's.
   */
  shortcut?: ShortcutUse;
  /** Files shared with the message (its turn's attachments); never downloaded at the edge. */
  files?: FileRef[];
  receivedAt: number;
}

/**
 * A file shared on a message, as Slack describes it: what the context builder needs to download
 * and read it later (only ever in a session thread). `url` is `url_private_download`, which needs
 * the bot token of the workspace; it is never shown to anyone.
 */
export interface FileRef {
  id: string;
  name: string;
  mimetype?: string;
  filetype?: string;
  /** Bytes, as Slack says; the download still enforces its own cap. */
  size?: number;
  url?: string;
  /** Slack Connect or an external (Google Drive…) file: the bot may not be able to read it. */
  external?: boolean;
}

/** A text or image part of a Chat Completions user message (images only with OPENAI_VISION). */
export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'low' | 'high' | 'auto' } };

/** Who the bot is in its workspace, from one `auth.test` at start-up. */
export interface SlackIdentity {
  botUserId: string;
  botId: string;
  teamId: string;
  /** Workspace URL (`https://acme.slack.com/`), for permalinks. */
  url?: string;
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
  /** Files shared with the message (references; cached with the history). */
  files?: FileRef[];
  /**
   * What the context builder read from `files`, filled just before trimming and never cached with
   * the turn: their text (or one-line notes), and images as data URLs when vision is on.
   */
  attachments?: string;
  images?: { name: string; url: string }[];
}

/** A Chat Completions message: text, or text and image parts (vision). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

/** The text of a message's content, whichever form it has. */
export const contentText = (content: ChatMessage['content']): string =>
  typeof content === 'string' ? content : content.map((p) => (p.type === 'text' ? p.text : '')).join('');

/** How many images a message's content carries. */
export const contentImages = (content: ChatMessage['content']): number =>
  typeof content === 'string' ? 0 : content.filter((p) => p.type === 'image_url').length;

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
