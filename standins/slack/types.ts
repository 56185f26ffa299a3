import type { SharedFileSeed } from './files.js';
/** The Slack stand-in's public types: what it stores, records and can be told to do. */

export type Params = Record<string, unknown>;

export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface Reaction {
  name: string;
  users: string[];
  count: number;
}

/** A message as Slack's API shows it (the fields this stand-in knows). */
export interface SlackMessage {
  type: 'message';
  ts: string;
  text: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  team?: string;
  subtype?: string;
  thread_ts?: string;
  parent_user_id?: string;
  blocks?: unknown[];
  metadata?: MessageMetadata;
  /** Shared files' objects (files.ts `SharedFiles.object`). */
  files?: Record<string, unknown>[];
  reactions?: Reaction[];
  edited?: { user: string; ts: string };
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
}

export type StreamState = 'streaming' | 'stopped' | 'expired';

/** A stored message plus what only the test can see: its channel and, for streams, their state. */
export interface StoredMessage extends SlackMessage {
  channel: string;
  stream?: StreamState;
}

/** A message seeded by a test (a user's, usually), as Slack would have stored it. */
export interface SeedMessage {
  channel: string;
  ts?: string;
  thread_ts?: string;
  user: string;
  text: string;
  bot_id?: string;
  blocks?: unknown[];
  metadata?: MessageMetadata;
  /** Files shared with the message (it becomes a `file_share`). */
  files?: SharedFileSeed[];
}

export interface RecordedCall {
  method: string;
  /** The decoded body: form fields as strings, JSON-valued fields (blocks, metadata, chunks, view…) parsed. */
  params: Params;
  /** Date.now() when the request arrived. */
  at: number;
  /** How long the answer took (the playground's call list shows it). */
  ms?: number;
  /** HTTP status sent; 0 when the fault was to hang or drop the connection. */
  status: number;
  /** The JSON body sent, or null when none was. */
  response: Record<string, unknown> | null;
  token: string | undefined;
  /** The workspace the token is for (the default one's for any token no other team was issued). */
  teamId: string | undefined;
  contentType: string;
}

export interface SlackFault {
  /** HTTP status. 429 adds `Retry-After`. Defaults to 200 when only `error` is set, else 500. */
  status?: number;
  /** Slack error code in `{ ok: false, error }`. Defaults to `ratelimited` for 429, `internal_error` for 5xx. */
  error?: string;
  /** Seconds, sent as `Retry-After` with a 429 (default 1). */
  retryAfter?: number;
  /** How many matching calls this fault applies to (default 1; `Infinity` for every one). */
  times?: number;
  /** Wait this long before answering. Alone (no status/error/hang/drop), it makes a slow success. */
  delayMs?: number;
  /** Accept the request and never answer (the connection stays open until the stand-in closes). */
  hang?: boolean;
  /** Destroy the connection without an answer. */
  drop?: boolean;
  /** Apply the call (post the message…) and then answer with the fault: a lost response. */
  afterEffect?: boolean;
  /** Only calls whose params match (e.g. one channel). */
  match?: (params: Params) => boolean;
}

export interface RateLimitRule {
  perMinute: number;
  /** Calls allowed at once before the bucket runs dry. */
  burst: number;
  /** One bucket per channel instead of one per workspace (chat.postMessage). */
  perChannel?: boolean;
}

export interface RateLimitOptions {
  /** Speeds up refills: 60 turns "per minute" into "per second". Default 1. */
  timeScale?: number;
  /** Overrides or additions, by method. */
  rules?: Record<string, RateLimitRule>;
}

export interface UserProfile {
  name?: string;
  real_name?: string;
  display_name?: string;
  is_bot?: boolean;
  tz?: string;
  /** A workspace admin / owner (users.info `is_admin`, `is_owner`). */
  is_admin?: boolean;
  is_owner?: boolean;
}

export interface ChannelSettings {
  name?: string;
  /** Whether the bot is a member (default: yes, see `defaultMember`). */
  member?: boolean;
  /** `channel_not_found` for every call naming it. */
  unknown?: boolean;
  /** `is_archived` for writes. */
  archived?: boolean;
  isPrivate?: boolean;
}

export interface SlackStandinOptions {
  botUserId?: string;
  botId?: string;
  appId?: string;
  teamId?: string;
  teamDomain?: string;
  botName?: string;
  /** When set, any other token gets `invalid_auth`. Otherwise any xoxb-/xoxp- token is accepted. */
  token?: string;
  /** When set, oauth.v2.access checks the app's client id and secret. */
  oauthClient?: { id: string; secret: string };
  /** Rate limits off by default; `true` for Slack's, or options. */
  rateLimits?: boolean | RateLimitOptions;
  /** Whether the bot is in a channel nobody configured (default true). */
  defaultMember?: boolean;
  users?: Record<string, UserProfile>;
  /** Streams that run longer than this stop taking appends (Slack: about 5 minutes). Default: never. */
  streamLifetimeMs?: number;
  /** Caps `limit` on conversations.replies (15 for non-Marketplace apps created after 2025-05-29). */
  maxRepliesPerPage?: number;
  /** Total characters of text across a message's blocks past which Slack answers `msg_blocks_too_long`. */
  blocksTextLimit?: number;
}

export interface Ephemeral {
  channel: string;
  user: string;
  message_ts: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
  status: number;
}

export interface AssistantStatus {
  status: string;
  loading_messages?: unknown;
  at: number;
}

export interface StoredView extends Record<string, unknown> {
  id: string;
  hash: string;
  type: string;
  blocks: unknown[];
}
