import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Slack's Web API on loopback. The bot reaches it through `SLACK_API_URL`
 * (`apiUrl` below), so `@slack/web-api` sends `POST /api/<method>` with a form or JSON body and
 * `Authorization: Bearer xoxb-…`, exactly as it would to slack.com.
 *
 * It keeps a per-channel message store, so `conversations.replies` returns the real thread and
 * `chat.update` / streams change what a later read sees; it answers with Slack's response shapes
 * and error codes, enforces the size limits from PLATFORM-FACTS.md, and can rate limit (HTTP 429 +
 * `Retry-After`) and inject faults. Every call is recorded for assertions.
 */

// ---------------------------------------------------------------------------------------------
// Public types

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

/** Starts `server` on a free loopback port and resolves with the port. */
export const listenOnLoopback = async (server: http.Server): Promise<number> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
};

/** What a message shows a user: its text and the text of its blocks (answers live in `markdown` blocks). */
export const shownText = (m: SlackMessage): string =>
  [
    m.text,
    ...(m.blocks ?? []).map((b) =>
      typeof b === 'object' && b !== null && typeof (b as { text?: unknown }).text === 'string'
        ? (b as { text: string }).text
        : '',
    ),
  ].join('\n');

export interface RecordedCall {
  method: string;
  /** The decoded body: form fields as strings, JSON-valued fields (blocks, metadata, chunks, view…) parsed. */
  params: Params;
  /** Date.now() when the request arrived. */
  at: number;
  /** HTTP status sent; 0 when the fault was to hang or drop the connection. */
  status: number;
  /** The JSON body sent, or null when none was. */
  response: Record<string, unknown> | null;
  token: string | undefined;
  contentType: string;
}

export interface SlackFault {
  /** HTTP status. 429 adds `Retry-After`. Defaults to 200 when only `error` is set, else 500. */
  status?: number;
  /** Slack error code in `{ ok: false, error }`. Defaults to `ratelimited` for 429, `internal_error` for 5xx. */
  error?: string;
  /** Seconds, sent as `Retry-After` with a 429 (default 1). */
  retryAfter?: number;
  /** How many matching calls this fault applies to (default 1). */
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

/**
 * Slack's published limits (PLATFORM-FACTS.md). Slack allows "bursts" without a number; the burst
 * sizes here are our choice, small enough that a test can reach the limit quickly.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, RateLimitRule>> = Object.freeze({
  'chat.postMessage': { perMinute: 60, burst: 3, perChannel: true }, // ~1/s per channel
  'chat.startStream': { perMinute: 20, burst: 2 }, // Tier 2
  'chat.update': { perMinute: 50, burst: 5 }, // Tier 3
  'reactions.add': { perMinute: 50, burst: 5 }, // Tier 3
  'conversations.replies': { perMinute: 50, burst: 5 }, // Tier 3
  'views.publish': { perMinute: 100, burst: 10 }, // Tier 4
  'chat.appendStream': { perMinute: 100, burst: 10 }, // Tier 4
});

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

// ---------------------------------------------------------------------------------------------
// Limits (PLATFORM-FACTS.md, "Slack: sizes")

const MAX_TEXT = 40_000;
const MAX_MESSAGE_BLOCKS = 50;
const MAX_VIEW_BLOCKS = 100;
const MAX_SECTION_TEXT = 3000;
const MAX_SECTION_FIELDS = 10;
const MAX_SECTION_FIELD_TEXT = 2000;
const MAX_HEADER_TEXT = 150;
const MAX_MARKDOWN_TOTAL = 12_000; // cumulative over all markdown blocks of one payload
const MAX_MARKDOWN_TEXT = 12_000; // markdown_text per payload (messages and stream chunks)
const MAX_CONTEXT_ELEMENTS = 10;
const MAX_ACTIONS_ELEMENTS = 25;
const MAX_BLOCK_ID = 255;
const DEFAULT_BLOCKS_TEXT_LIMIT = 13_000;
const TRIGGER_TTL_MS = 3000;
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;

/** Body fields @slack/web-api JSON-encodes inside a form body. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'chunks', 'view', 'loading_messages']);

/** Writes Slack refuses with `not_in_channel` when the bot is not a member. */
const NEEDS_MEMBERSHIP = new Set([
  'chat.postMessage',
  'chat.postEphemeral',
  'chat.startStream',
  'reactions.add',
  'reactions.remove',
  'conversations.replies',
  'conversations.history',
]);

// ---------------------------------------------------------------------------------------------
// Internals

class SlackFailure extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

const fail = (error: string, messages?: string[]): SlackFailure =>
  new SlackFailure(
    error,
    messages
      ? { errors: messages, response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } }
      : {},
  );

interface StoreEntry {
  channel: string;
  message: SlackMessage;
  stream?: { state: StreamState; startedAt: number; expiredError?: string; chunks: unknown[] };
}

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rule: RateLimitRule,
    private readonly timeScale: number,
  ) {
    this.tokens = rule.burst;
    this.last = Date.now();
  }

  /** Takes a token, or returns the whole seconds until one is available (Slack's Retry-After is an integer). */
  take(now: number): number | undefined {
    const perMs = (this.rule.perMinute / 60_000) * this.timeScale;
    this.tokens = Math.min(this.rule.burst, this.tokens + (now - this.last) * perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / perMs / 1000));
  }
}

const tsToNumber = (ts: string): number => {
  const [s = '0', us = '0'] = ts.split('.');
  return Number(s) * 1e6 + Number(us.padEnd(6, '0').slice(0, 6));
};
const compareTs = (a: string, b: string): number => tsToNumber(a) - tsToNumber(b);

const asString = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
const asBool = (v: unknown): boolean => v === true || v === 'true' || v === '1' || v === 1;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const required = (p: Params, key: string, error = 'invalid_arguments'): string => {
  const v = asString(p[key]);
  if (v === undefined || v === '')
    throw fail(error, error === 'invalid_arguments' ? [`missing required field: ${key}`] : undefined);
  return v;
};

const textOf = (v: unknown): string => (isObject(v) && typeof v.text === 'string' ? v.text : '');

/** Sum of every `text` string inside the blocks, the measure behind `msg_blocks_too_long`. */
const blockTextLength = (v: unknown): number => {
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + blockTextLength(x), 0);
  if (!isObject(v)) return 0;
  let n = 0;
  for (const [k, x] of Object.entries(v))
    n += k === 'text' && typeof x === 'string' ? x.length : blockTextLength(x);
  return n;
};

/**
 * Checks the Block Kit limits Slack enforces, returning Slack-style messages
 * ("must be less than 3001 characters [json-pointer:/blocks/0/text/text]"); empty when valid.
 */
const blockErrors = (blocks: unknown[], maxBlocks: number): string[] => {
  const errors: string[] = [];
  if (blocks.length > maxBlocks)
    errors.push(`no more than ${maxBlocks} items allowed [json-pointer:/blocks]`);
  let markdownTotal = 0;
  blocks.forEach((block, i) => {
    const at = `/blocks/${i}`;
    if (!isObject(block) || typeof block.type !== 'string') {
      errors.push(`missing required field: type [json-pointer:${at}]`);
      return;
    }
    if (typeof block.block_id === 'string' && block.block_id.length > MAX_BLOCK_ID)
      errors.push(`must be less than ${MAX_BLOCK_ID + 1} characters [json-pointer:${at}/block_id]`);
    switch (block.type) {
      case 'section': {
        const fields = Array.isArray(block.fields) ? block.fields : undefined;
        if (block.text === undefined && !fields)
          errors.push(`must provide either text or fields [json-pointer:${at}]`);
        if (textOf(block.text).length > MAX_SECTION_TEXT)
          errors.push(`must be less than ${MAX_SECTION_TEXT + 1} characters [json-pointer:${at}/text/text]`);
        if (fields && fields.length > MAX_SECTION_FIELDS)
          errors.push(`no more than ${MAX_SECTION_FIELDS} items allowed [json-pointer:${at}/fields]`);
        fields?.forEach((f, j) => {
          if (textOf(f).length > MAX_SECTION_FIELD_TEXT)
            errors.push(
              `must be less than ${MAX_SECTION_FIELD_TEXT + 1} characters [json-pointer:${at}/fields/${j}/text]`,
            );
        });
        break;
      }
      case 'header':
        if (textOf(block.text).length > MAX_HEADER_TEXT)
          errors.push(`must be less than ${MAX_HEADER_TEXT + 1} characters [json-pointer:${at}/text/text]`);
        break;
      case 'markdown': {
        const text = typeof block.text === 'string' ? block.text : '';
        markdownTotal += text.length;
        if (text.length > MAX_MARKDOWN_TOTAL)
          errors.push(`must be less than ${MAX_MARKDOWN_TOTAL + 1} characters [json-pointer:${at}/text]`);
        break;
      }
      case 'context':
        if (Array.isArray(block.elements) && block.elements.length > MAX_CONTEXT_ELEMENTS)
          errors.push(`no more than ${MAX_CONTEXT_ELEMENTS} items allowed [json-pointer:${at}/elements]`);
        break;
      case 'actions':
        if (Array.isArray(block.elements) && block.elements.length > MAX_ACTIONS_ELEMENTS)
          errors.push(`no more than ${MAX_ACTIONS_ELEMENTS} items allowed [json-pointer:${at}/elements]`);
        break;
    }
  });
  if (markdownTotal > MAX_MARKDOWN_TOTAL && errors.length === 0)
    errors.push(`markdown blocks exceed ${MAX_MARKDOWN_TOTAL} characters in total [json-pointer:/blocks]`);
  return errors;
};

const readBody = async (req: http.IncomingMessage, limit = 10 * 1024 * 1024): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
};

const parseParams = (raw: string, contentType: string, query: URLSearchParams): Params => {
  const params: Params = Object.fromEntries(query);
  if (contentType.includes('application/json')) {
    if (raw.trim() !== '') {
      const body: unknown = JSON.parse(raw);
      if (!isObject(body)) throw new Error('JSON body is not an object');
      Object.assign(params, body);
    }
  } else {
    Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
  }
  for (const key of JSON_FIELDS) {
    const v = params[key];
    if (typeof v === 'string' && v !== '') {
      try {
        params[key] = JSON.parse(v);
      } catch {
        // Left as a string: the handler answers with the field's *_format error.
      }
    }
  }
  return params;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Handler = (p: Params, call: { token: string | undefined }) => Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// The stand-in

export class SlackApiStandin {
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly teamId: string;
  readonly teamDomain: string;
  readonly botName: string;

  private readonly server: http.Server;
  private port = 0;
  private readonly opts: SlackStandinOptions;

  private store = new Map<string, Map<string, StoreEntry>>();
  private channels = new Map<string, ChannelSettings>();
  private users = new Map<string, UserProfile | null>();
  private recorded: RecordedCall[] = [];
  private faults: { method: string; fault: SlackFault; left: number }[] = [];
  private buckets = new Map<string, TokenBucket>();
  private rateLimitsOn = false;
  private rateLimitOpts: RateLimitOptions = {};
  private streamingRefusal: string | undefined;
  private ephemeralList: Ephemeral[] = [];
  private homeViews = new Map<string, StoredView>();
  private modalViews = new Map<string, StoredView>();
  private statuses = new Map<string, AssistantStatus>();
  private responseUrls = new Map<string, { channel?: string; user?: string; at: number; uses: number }>();
  private responsePosts: ResponseUrlPost[] = [];
  private triggers = new Map<string, { at: number; used: boolean }>();
  private lastTsMicros = 0;
  private waiters = new Set<() => void>();
  private hanging = new Set<http.ServerResponse>();

  constructor(opts: SlackStandinOptions = {}) {
    this.opts = opts;
    this.botUserId = opts.botUserId ?? 'U0BOT';
    this.botId = opts.botId ?? 'B0BOT';
    this.appId = opts.appId ?? 'A0APP';
    this.teamId = opts.teamId ?? 'T0TEAM';
    this.teamDomain = opts.teamDomain ?? 'backchannel-test';
    this.botName = opts.botName ?? 'backchannel';
    this.applyOptions();
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
  }

  private applyOptions(): void {
    for (const [id, profile] of Object.entries(this.opts.users ?? {})) this.users.set(id, profile);
    const rl = this.opts.rateLimits;
    if (rl) this.setRateLimits(true, rl === true ? {} : rl);
  }

  async listen(): Promise<this> {
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What to pass as `SLACK_API_URL` / `slackApiUrl` (with the trailing slash the WebClient needs). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Forgets every message, call, fault, view and setting made since start (constructor options stay). */
  reset(): void {
    this.store.clear();
    this.channels.clear();
    this.users.clear();
    this.recorded = [];
    this.faults = [];
    this.buckets.clear();
    this.rateLimitsOn = false;
    this.rateLimitOpts = {};
    this.streamingRefusal = undefined;
    this.ephemeralList = [];
    this.homeViews.clear();
    this.modalViews.clear();
    this.statuses.clear();
    this.responseUrls.clear();
    this.responsePosts = [];
    this.triggers.clear();
    this.applyOptions();
  }

  // ----- control --------------------------------------------------------------------------

  /** Queues a fault for the next call(s) to `method` (`'*'` for any method). Faults apply in order. */
  failNext(method: string, fault: SlackFault = {}): void {
    this.faults.push({ method, fault, left: fault.times ?? 1 });
  }

  setRateLimits(on: boolean, opts: RateLimitOptions = {}): void {
    this.rateLimitsOn = on;
    this.rateLimitOpts = opts;
    this.buckets.clear();
  }

  /** Makes chat.startStream refuse every call with `error` (default `feature_not_enabled`); `false` allows again. */
  refuseStreaming(error: string | false = 'feature_not_enabled'): void {
    this.streamingRefusal = error === false ? undefined : error;
  }

  setChannel(id: string, settings: ChannelSettings): void {
    this.channels.set(id, { ...this.channels.get(id), ...settings });
  }

  /** Registers a user for users.info; `null` makes the id unknown (`user_not_found`). */
  setUser(id: string, profile: UserProfile | null): void {
    this.users.set(id, profile);
  }

  /** Ends a stream as Slack does when it expires: later appends/stops get `error`. */
  expireStream(channel: string, ts: string, error = 'message_not_in_streaming_state'): void {
    const rec = this.find(channel, ts);
    if (!rec?.stream) throw new Error(`no stream ${channel}/${ts}`);
    rec.stream.state = 'expired';
    rec.stream.expiredError = error;
  }

  /** A fresh, unique, increasing message ts (`1700000000.000123`). */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  /**
   * Seeds a message (a user's, usually) so reads see it. `thread_ts` pointing at a reply is
   * normalised to the thread's root, as Slack does.
   */
  addMessage(m: {
    channel: string;
    ts?: string;
    thread_ts?: string;
    user: string;
    text: string;
    bot_id?: string;
    blocks?: unknown[];
    metadata?: MessageMetadata;
  }): StoredMessage {
    const ts = m.ts ?? this.nextTs();
    if (m.ts) this.lastTsMicros = Math.max(this.lastTsMicros, tsToNumber(m.ts));
    const root = m.thread_ts ? this.rootOf(m.channel, m.thread_ts) : undefined;
    const message: SlackMessage = {
      type: 'message',
      ts,
      text: m.text,
      user: m.user,
      team: this.teamId,
      ...(m.bot_id ? { bot_id: m.bot_id } : {}),
      ...(m.blocks ? { blocks: m.blocks } : {}),
      ...(m.metadata ? { metadata: m.metadata } : {}),
      ...(m.thread_ts && m.thread_ts !== ts ? this.threadFields(m.channel, root ?? m.thread_ts) : {}),
    };
    this.put({ channel: m.channel, message });
    this.notify();
    return this.view(m.channel, ts)!;
  }

  /** Adds someone's reaction (the bot's go through reactions.add). */
  addReaction(channel: string, ts: string, name: string, user: string): void {
    const rec = this.find(channel, ts);
    if (!rec) throw new Error(`no message ${channel}/${ts}`);
    this.react(rec, name, user);
    this.notify();
  }

  /** A `response_url` pointing here, as Slack puts in slash commands and interactions. */
  mintResponseUrl(context: { channel?: string; user?: string } = {}): { id: string; url: string } {
    const id = `${this.teamId}/${Date.now()}/${randomBytes(12).toString('hex')}`;
    this.responseUrls.set(id, { ...context, at: Date.now(), uses: 0 });
    return { id, url: `${this.url}/response/${id}` };
  }

  /** A trigger_id that views.open accepts once, within 3 s. (Unknown trigger ids are accepted.) */
  mintTriggerId(): string {
    const id = `${Date.now()}.${Math.floor(Math.random() * 1e10)}.${randomBytes(16).toString('hex')}`;
    this.triggers.set(id, { at: Date.now(), used: false });
    return id;
  }

  // ----- inspection -----------------------------------------------------------------------

  calls(method?: string): RecordedCall[] {
    return method ? this.recorded.filter((c) => c.method === method) : [...this.recorded];
  }

  /** How many 429s were sent (rate limits and injected faults), optionally for one method. */
  rateLimitedCount(method?: string): number {
    return this.calls(method).filter((c) => c.status === 429).length;
  }

  /**
   * Messages as they stand now, in ts order: the thread (root first) when `threadTs` is given,
   * otherwise every message in the channel, replies included.
   */
  messages(channel: string, threadTs?: string): StoredMessage[] {
    const all = [...(this.store.get(channel)?.values() ?? [])];
    const root = threadTs ? this.rootOf(channel, threadTs) : undefined;
    const picked = threadTs ? all.filter((r) => r.message.ts === root || r.message.thread_ts === root) : all;
    return picked
      .sort((a, b) => compareTs(a.message.ts, b.message.ts))
      .map((r) => this.view(channel, r.message.ts)!);
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.view(channel, ts);
  }

  /** Names of the reactions on a message, by anyone. */
  reactions(channel: string, ts: string): string[] {
    return (this.find(channel, ts)?.message.reactions ?? []).map((r) => r.name);
  }

  ephemerals(channel?: string): Ephemeral[] {
    return this.ephemeralList.filter((e) => channel === undefined || e.channel === channel);
  }

  /** The Home tab last published for a user. */
  homeView(userId: string): StoredView | undefined {
    return this.homeViews.get(userId);
  }

  modal(viewId: string): StoredView | undefined {
    return this.modalViews.get(viewId);
  }

  /** The thread's assistant status; cleared (undefined) once the bot posts in the thread. */
  assistantStatus(channel: string, threadTs: string): AssistantStatus | undefined {
    return this.statuses.get(`${channel}/${threadTs}`);
  }

  /** Bodies posted to minted response URLs, optionally for one id. */
  responses(id?: string): ResponseUrlPost[] {
    return this.responsePosts.filter((r) => id === undefined || r.id === id);
  }

  /**
   * Resolves with the probe's first truthy value, re-checked whenever a call finishes or a
   * message is added; rejects after `timeoutMs` naming what was awaited.
   */
  waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const v = probe();
        if (v === undefined || v === null || v === false) return false;
        cleanup();
        resolve(v);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Slack stand-in: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = () => {
        check();
      };
      this.waiters.add(waiter);
      check();
    });
  }

  /** The n-th (1-based) call to `method` matching `predicate`, once it has been answered. */
  waitForCall(
    method: string,
    predicate: (c: RecordedCall) => boolean = () => true,
    opts: { count?: number; timeoutMs?: number } = {},
  ): Promise<RecordedCall> {
    const count = opts.count ?? 1;
    return this.waitFor(
      () => this.calls(method).filter(predicate)[count - 1],
      opts.timeoutMs,
      `call #${count} to ${method}`,
    );
  }

  // ----- store internals ------------------------------------------------------------------

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private find(channel: string, ts: string): StoreEntry | undefined {
    return this.store.get(channel)?.get(ts);
  }

  private put(rec: StoreEntry): void {
    let ch = this.store.get(rec.channel);
    if (!ch) {
      ch = new Map();
      this.store.set(rec.channel, ch);
    }
    ch.set(rec.message.ts, rec);
  }

  /** The ts of the thread root a ts belongs to (itself for a root or unknown message). */
  private rootOf(channel: string, ts: string): string {
    return this.find(channel, ts)?.message.thread_ts ?? ts;
  }

  private threadFields(channel: string, root: string): Pick<SlackMessage, 'thread_ts' | 'parent_user_id'> {
    const parent = this.find(channel, root)?.message.user;
    return { thread_ts: root, ...(parent ? { parent_user_id: parent } : {}) };
  }

  /** A copy of a stored message with the thread summary Slack adds to roots. */
  private view(channel: string, ts: string): StoredMessage | undefined {
    const rec = this.find(channel, ts);
    if (!rec) return undefined;
    const message = structuredClone(rec.message);
    const isReply = message.thread_ts !== undefined && message.thread_ts !== message.ts;
    if (!isReply) {
      const replies = [...(this.store.get(channel)?.values() ?? [])]
        .map((r) => r.message)
        .filter((m) => m.thread_ts === ts && m.ts !== ts)
        .sort((a, b) => compareTs(a.ts, b.ts));
      if (replies.length > 0) {
        const users = [...new Set(replies.map((r) => r.user).filter((u): u is string => !!u))];
        Object.assign(message, {
          thread_ts: ts,
          reply_count: replies.length,
          reply_users: users,
          reply_users_count: users.length,
          latest_reply: replies.at(-1)!.ts,
        });
      }
    }
    return { ...message, channel, ...(rec.stream ? { stream: rec.stream.state } : {}) };
  }

  /** The message as the API returns it: no test-only fields; metadata only when asked for. */
  private apiMessage(channel: string, ts: string, includeMetadata = true): SlackMessage {
    const { channel: _c, stream: _s, ...message } = this.view(channel, ts)!;
    if (!includeMetadata) delete message.metadata;
    return message;
  }

  private react(rec: StoreEntry, name: string, user: string): boolean {
    rec.message.reactions ??= [];
    const reactions = rec.message.reactions;
    let r = reactions.find((x) => x.name === name);
    if (!r) {
      r = { name, users: [], count: 0 };
      reactions.push(r);
    }
    if (r.users.includes(user)) return false;
    r.users.push(user);
    r.count = r.users.length;
    return true;
  }

  private channelInfo(id: string): Record<string, unknown> {
    const c = this.channels.get(id) ?? {};
    const isIm = id.startsWith('D');
    return {
      id,
      name: isIm ? undefined : (c.name ?? id.toLowerCase()),
      is_channel: !isIm && !c.isPrivate,
      is_group: !isIm && !!c.isPrivate,
      is_im: isIm,
      is_private: isIm || !!c.isPrivate,
      is_archived: !!c.archived,
      is_member: this.isMember(id),
      created: 1_700_000_000,
      context_team_id: this.teamId,
      ...(isIm ? { user: `U${id.slice(1)}` } : {}),
    };
  }

  private isMember(channel: string): boolean {
    return this.channels.get(channel)?.member ?? this.opts.defaultMember ?? true;
  }

  private checkChannel(method: string, channel: string, write = true): void {
    const c = this.channels.get(channel);
    if (c?.unknown) throw fail('channel_not_found');
    if (write && c?.archived && method !== 'conversations.replies') throw fail('is_archived');
    if (NEEDS_MEMBERSHIP.has(method) && !this.isMember(channel)) throw fail('not_in_channel');
  }

  // ----- content validation ---------------------------------------------------------------

  private blocksParam(p: Params, key: string, maxBlocks: number, isMessage: boolean): unknown[] | undefined {
    const v = p[key];
    if (v === undefined || v === '') return undefined;
    if (!Array.isArray(v)) throw fail('invalid_blocks_format');
    const errors = blockErrors(v, maxBlocks);
    if (errors.length) throw fail('invalid_blocks', errors);
    const limit = this.opts.blocksTextLimit ?? DEFAULT_BLOCKS_TEXT_LIMIT;
    if (isMessage && blockTextLength(v) > limit) throw fail('msg_blocks_too_long');
    return v;
  }

  private metadataParam(p: Params): MessageMetadata | undefined {
    const v = p.metadata;
    if (v === undefined || v === '') return undefined;
    if (!isObject(v)) throw fail('invalid_metadata_format');
    if (typeof v.event_type !== 'string' || !isObject(v.event_payload)) throw fail('invalid_metadata_schema');
    return { event_type: v.event_type, event_payload: v.event_payload };
  }

  /** Text, blocks and metadata of a message-like call, validated as chat.postMessage does. */
  private content(p: Params, requireSomething: boolean) {
    const text = asString(p.text);
    const markdown = asString(p.markdown_text);
    const blocks = this.blocksParam(p, 'blocks', MAX_MESSAGE_BLOCKS, true);
    const metadata = this.metadataParam(p);
    const attachments = p.attachments;
    if (requireSomething && !text && !markdown && !blocks && attachments === undefined) throw fail('no_text');
    if (text && text.length > MAX_TEXT) throw fail('msg_too_long');
    if (markdown && markdown.length > MAX_MARKDOWN_TEXT) throw fail('msg_too_long');
    return { text: text ?? markdown, blocks, metadata };
  }

  private postedByBot(
    channel: string,
    threadTs: string | undefined,
    content: Partial<SlackMessage>,
  ): StoreEntry {
    const ts = this.nextTs();
    const root = threadTs ? this.rootOf(channel, threadTs) : undefined;
    const message: SlackMessage = {
      type: 'message',
      ts,
      text: content.text ?? '',
      user: this.botUserId,
      bot_id: this.botId,
      app_id: this.appId,
      team: this.teamId,
      ...(content.blocks ? { blocks: content.blocks } : {}),
      ...(content.metadata ? { metadata: content.metadata } : {}),
      ...(root ? this.threadFields(channel, root) : {}),
    };
    const rec: StoreEntry = { channel, message };
    this.put(rec);
    // Slack clears the assistant status when the app replies in the thread.
    if (root) this.statuses.delete(`${channel}/${root}`);
    return rec;
  }

  private botMessage(channel: string, ts: string, action: 'update' | 'delete'): StoreEntry {
    const rec = this.find(channel, ts);
    if (!rec) throw fail('message_not_found');
    if (rec.message.bot_id !== this.botId)
      throw fail(action === 'update' ? 'cant_update_message' : 'cant_delete_message');
    return rec;
  }

  private markdownChunks(p: Params): { text: string; chunks: unknown[] } {
    let text = asString(p.markdown_text) ?? '';
    if (text.length > MAX_MARKDOWN_TEXT) throw fail('msg_too_long');
    const chunks = p.chunks;
    if (chunks === undefined || chunks === '') return { text, chunks: [] };
    if (!Array.isArray(chunks)) throw fail('invalid_chunks');
    for (const c of chunks) {
      if (!isObject(c) || typeof c.type !== 'string') throw fail('invalid_chunks');
      if (c.type === 'markdown_text') {
        if (typeof c.text !== 'string') throw fail('invalid_chunks');
        if (c.text.length > MAX_MARKDOWN_TEXT) throw fail('msg_too_long');
        text += c.text;
      }
    }
    return { text, chunks };
  }

  private liveStream(channel: string, ts: string): NonNullable<StoreEntry['stream']> & { rec: StoreEntry } {
    const rec = this.find(channel, ts);
    if (!rec) throw fail('message_not_found');
    const s = rec.stream;
    if (!s) throw fail('message_not_in_streaming_state');
    const lifetime = this.opts.streamLifetimeMs;
    if (s.state === 'streaming' && lifetime !== undefined && Date.now() - s.startedAt > lifetime)
      s.state = 'expired';
    if (s.state !== 'streaming') throw fail(s.expiredError ?? 'message_not_in_streaming_state');
    return Object.assign(s, { rec });
  }

  private viewParam(p: Params, types: string[]): Record<string, unknown> {
    const v = p.view;
    if (v === undefined || v === '') throw fail('invalid_arguments', ['missing required field: view']);
    if (!isObject(v)) throw fail('invalid_arguments', ['view must be a JSON object']);
    if (typeof v.type !== 'string' || !types.includes(v.type))
      throw fail('invalid_arguments', [`must be one of ${types.join(', ')} [json-pointer:/view/type]`]);
    const blocks = v.blocks ?? [];
    if (!Array.isArray(blocks))
      throw fail('invalid_arguments', ['must be an array [json-pointer:/view/blocks]']);
    const errors = blockErrors(blocks, MAX_VIEW_BLOCKS);
    if (errors.length)
      throw fail(
        'invalid_blocks',
        errors.map((e) => e.replace('json-pointer:/', 'json-pointer:/view/')),
      );
    return v;
  }

  private storeView(
    v: Record<string, unknown>,
    id = `V${randomBytes(5).toString('hex').toUpperCase()}`,
  ): StoredView {
    return {
      ...v,
      id,
      team_id: this.teamId,
      app_id: this.appId,
      bot_id: this.botId,
      type: String(v.type),
      blocks: (v.blocks as unknown[] | undefined) ?? [],
      hash: `${Date.now()}.${randomBytes(4).toString('hex')}`,
    };
  }

  // ----- methods --------------------------------------------------------------------------

  private readonly handlers: Record<string, Handler> = {
    'api.test': (p) => ({ args: p }),

    'auth.test': () => ({
      url: `https://${this.teamDomain}.slack.com/`,
      team: 'Backchannel Test',
      user: this.botName,
      team_id: this.teamId,
      user_id: this.botUserId,
      bot_id: this.botId,
      is_enterprise_install: false,
    }),

    'chat.postMessage': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      this.checkChannel('chat.postMessage', channel);
      const content = this.content(p, true);
      const rec = this.postedByBot(channel, asString(p.thread_ts) || undefined, content);
      return { channel, ts: rec.message.ts, message: this.apiMessage(channel, rec.message.ts) };
    },

    'chat.postEphemeral': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const user = required(p, 'user', 'user_not_in_channel');
      this.checkChannel('chat.postEphemeral', channel);
      const { text, blocks } = this.content(p, true);
      const message_ts = this.nextTs();
      const threadTs = asString(p.thread_ts) || undefined;
      this.ephemeralList.push({
        channel,
        user,
        message_ts,
        text: text ?? '',
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return { message_ts };
    },

    'chat.update': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const ts = required(p, 'ts', 'message_not_found');
      this.checkChannel('chat.update', channel);
      const rec = this.botMessage(channel, ts, 'update');
      const { text, blocks, metadata } = this.content(p, false);
      if (text === undefined && blocks === undefined && metadata === undefined && p.attachments === undefined)
        throw fail('no_text');
      // Slack keeps the previous blocks when `blocks` is omitted; an empty array removes them.
      if (text !== undefined) rec.message.text = text;
      if (blocks !== undefined) {
        if (blocks.length) rec.message.blocks = blocks;
        else delete rec.message.blocks;
      }
      if (metadata) rec.message.metadata = metadata;
      rec.message.edited = { user: this.botUserId, ts: this.nextTs() };
      return { channel, ts, text: rec.message.text, message: this.apiMessage(channel, ts) };
    },

    'chat.delete': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const ts = required(p, 'ts', 'message_not_found');
      this.checkChannel('chat.delete', channel);
      this.botMessage(channel, ts, 'delete');
      this.store.get(channel)?.delete(ts);
      return { channel, ts };
    },

    'chat.getPermalink': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const ts = required(p, 'message_ts', 'message_not_found');
      this.checkChannel('chat.getPermalink', channel, false);
      const rec = this.find(channel, ts);
      if (!rec) throw fail('message_not_found');
      const base = `https://${this.teamDomain}.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
      const thread = rec.message.thread_ts;
      const permalink = thread && thread !== ts ? `${base}?thread_ts=${thread}&cid=${channel}` : base;
      return { channel, permalink };
    },

    'chat.startStream': (p) => {
      if (this.streamingRefusal) throw fail(this.streamingRefusal);
      const channel = required(p, 'channel', 'channel_not_found');
      const threadTs = required(p, 'thread_ts');
      this.checkChannel('chat.startStream', channel);
      // Outside DMs Slack needs to know whom the stream is for.
      if (!channel.startsWith('D')) {
        if (!asString(p.recipient_user_id)) throw fail('missing_recipient_user_id');
        if (!asString(p.recipient_team_id)) throw fail('missing_recipient_team_id');
      }
      const { text, chunks } = this.markdownChunks(p);
      const rec = this.postedByBot(channel, threadTs, { text });
      rec.stream = { state: 'streaming', startedAt: Date.now(), chunks };
      return { channel, ts: rec.message.ts };
    },

    'chat.appendStream': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const ts = required(p, 'ts', 'message_not_found');
      this.checkChannel('chat.appendStream', channel);
      const { text, chunks } = this.markdownChunks(p);
      if (!text && chunks.length === 0)
        throw fail('invalid_arguments', ['markdown_text or chunks is required']);
      const s = this.liveStream(channel, ts);
      s.rec.message.text += text;
      s.chunks.push(...chunks);
      return { channel, ts };
    },

    'chat.stopStream': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const ts = required(p, 'ts', 'message_not_found');
      this.checkChannel('chat.stopStream', channel);
      const { text, chunks } = this.markdownChunks(p);
      const blocks = this.blocksParam(p, 'blocks', MAX_MESSAGE_BLOCKS, true);
      const metadata = this.metadataParam(p);
      const s = this.liveStream(channel, ts);
      s.rec.message.text += text;
      s.chunks.push(...chunks);
      if (blocks) s.rec.message.blocks = blocks;
      if (metadata) s.rec.message.metadata = metadata;
      s.state = 'stopped';
      return { channel, ts, message: this.apiMessage(channel, ts) };
    },

    'reactions.add': (p, { token }) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const ts = required(p, 'timestamp', 'message_not_found');
      const name = required(p, 'name', 'invalid_name').replace(/^:|:$/g, '');
      this.checkChannel('reactions.add', channel);
      const rec = this.find(channel, ts);
      if (!rec) throw fail('message_not_found');
      if (!this.react(rec, name, this.userFor(token))) throw fail('already_reacted');
      return {};
    },

    'reactions.remove': (p, { token }) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const ts = required(p, 'timestamp', 'message_not_found');
      const name = required(p, 'name', 'invalid_name').replace(/^:|:$/g, '');
      this.checkChannel('reactions.remove', channel);
      const rec = this.find(channel, ts);
      if (!rec) throw fail('message_not_found');
      const user = this.userFor(token);
      const r = rec.message.reactions?.find((x) => x.name === name);
      if (!r?.users.includes(user)) throw fail('no_reaction');
      r.users = r.users.filter((u) => u !== user);
      r.count = r.users.length;
      if (r.count === 0) rec.message.reactions = rec.message.reactions?.filter((x) => x !== r);
      if (rec.message.reactions?.length === 0) delete rec.message.reactions;
      return {};
    },

    'reactions.get': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const ts = required(p, 'timestamp', 'message_not_found');
      this.checkChannel('reactions.get', channel, false);
      if (!this.find(channel, ts)) throw fail('message_not_found');
      return { type: 'message', channel, message: this.apiMessage(channel, ts) };
    },

    'conversations.replies': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const ts = required(p, 'ts', 'thread_not_found');
      this.checkChannel('conversations.replies', channel, false);
      if (!this.find(channel, ts)) throw fail('thread_not_found');
      const withMetadata = asBool(p.include_all_metadata);
      const thread = this.messages(channel, ts).map((m) => m.ts);
      const cap = Math.min(this.opts.maxRepliesPerPage ?? 1000, 1000);
      const limit = Math.min(Number(asString(p.limit) ?? cap) || cap, cap);
      let start = 0;
      const cursor = asString(p.cursor);
      if (cursor) {
        const decoded = /^next_ts:(\d+\.\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
        if (!decoded) throw fail('invalid_cursor');
        start = thread.findIndex((t) => compareTs(t, decoded[1]!) >= 0);
        if (start < 0) start = thread.length;
      }
      const page = thread.slice(start, start + limit);
      const next = thread[start + limit];
      return {
        messages: page.map((t) => this.apiMessage(channel, t, withMetadata)),
        has_more: next !== undefined,
        response_metadata: { next_cursor: next ? Buffer.from(`next_ts:${next}`).toString('base64') : '' },
      };
    },

    'conversations.history': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      this.checkChannel('conversations.history', channel, false);
      const withMetadata = asBool(p.include_all_metadata);
      const top = this.messages(channel)
        .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts)
        .map((m) => m.ts)
        .reverse();
      const limit = Math.min(Number(asString(p.limit) ?? 100) || 100, 1000);
      const offset =
        Number(
          Buffer.from(asString(p.cursor) ?? '', 'base64')
            .toString('utf8')
            .replace('offset:', ''),
        ) || 0;
      const page = top.slice(offset, offset + limit);
      const more = offset + limit < top.length;
      return {
        messages: page.map((t) => this.apiMessage(channel, t, withMetadata)),
        has_more: more,
        response_metadata: {
          next_cursor: more ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '',
        },
      };
    },

    'conversations.info': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      if (this.channels.get(channel)?.unknown) throw fail('channel_not_found');
      return { channel: this.channelInfo(channel) };
    },

    'conversations.join': (p) => {
      const channel = required(p, 'channel', 'channel_not_found');
      const c = this.channels.get(channel);
      if (c?.unknown) throw fail('channel_not_found');
      if (channel.startsWith('D')) throw fail('method_not_supported_for_channel_type');
      if (c?.archived) throw fail('is_archived');
      const already = this.isMember(channel);
      this.setChannel(channel, { member: true });
      return {
        channel: this.channelInfo(channel),
        ...(already
          ? { warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } }
          : {}),
      };
    },

    'users.info': (p) => {
      const id = required(p, 'user', 'user_not_found');
      const known = this.users.get(id);
      if (known === null || !/^[UW][A-Z0-9]+$/.test(id)) throw fail('user_not_found');
      const isBot = id === this.botUserId;
      const fallback = isBot ? this.botName : `user-${id.toLowerCase()}`;
      const name = known?.name ?? fallback;
      const realName = known?.real_name ?? (isBot ? 'Backchannel' : `User ${id}`);
      const displayName = known?.display_name ?? fallback;
      return {
        user: {
          id,
          team_id: this.teamId,
          name,
          real_name: realName,
          deleted: false,
          is_bot: known?.is_bot ?? isBot,
          is_app_user: false,
          tz: known?.tz ?? 'Europe/London',
          profile: {
            real_name: realName,
            real_name_normalized: realName,
            display_name: displayName,
            display_name_normalized: displayName,
            team: this.teamId,
            ...(isBot ? { bot_id: this.botId } : {}),
          },
        },
      };
    },

    'assistant.threads.setStatus': (p) => {
      const channel = required(p, 'channel_id', 'channel_not_found');
      const threadTs = required(p, 'thread_ts');
      if (p.status === undefined) throw fail('invalid_arguments', ['missing required field: status']);
      this.checkChannel('assistant.threads.setStatus', channel);
      const status = asString(p.status) ?? '';
      const key = `${channel}/${this.rootOf(channel, threadTs)}`;
      if (status === '') this.statuses.delete(key);
      else
        this.statuses.set(key, {
          status,
          at: Date.now(),
          ...(p.loading_messages !== undefined ? { loading_messages: p.loading_messages } : {}),
        });
      return {};
    },

    'views.publish': (p) => {
      const user = required(p, 'user_id', 'user_not_found');
      const view = this.viewParam(p, ['home']);
      const current = this.homeViews.get(user);
      const hash = asString(p.hash);
      if (hash && current && hash !== current.hash) throw fail('hash_conflict');
      const stored = this.storeView(view, current?.id);
      this.homeViews.set(user, stored);
      return { view: stored };
    },

    'views.open': (p) => {
      const triggerId = required(p, 'trigger_id', 'invalid_trigger_id');
      const trigger = this.triggers.get(triggerId);
      // trigger_id: single use, within 3 s (PLATFORM-FACTS.md).
      if (trigger && (trigger.used || Date.now() - trigger.at > TRIGGER_TTL_MS))
        throw fail('expired_trigger_id');
      const view = this.viewParam(p, ['modal']);
      if (trigger) trigger.used = true;
      const stored = this.storeView(view);
      this.modalViews.set(stored.id, stored);
      return { view: stored };
    },

    'views.update': (p) => {
      const id =
        asString(p.view_id) ??
        [...this.modalViews.values()].find(
          (v) => v.external_id === p.external_id && p.external_id !== undefined,
        )?.id;
      const current = id ? this.modalViews.get(id) : undefined;
      if (!current) throw fail('not_found');
      const hash = asString(p.hash);
      if (hash && hash !== current.hash) throw fail('hash_conflict');
      const stored = this.storeView(this.viewParam(p, ['modal']), current.id);
      this.modalViews.set(stored.id, stored);
      return { view: stored };
    },
  };

  /** Whose token it is: the bot's unless a user token (xoxp-…) names someone else. */
  private userFor(token: string | undefined): string {
    return token?.startsWith('xoxp-') ? `U${token.slice(5, 15).toUpperCase()}` : this.botUserId;
  }

  // ----- HTTP -----------------------------------------------------------------------------

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname.startsWith('/response/'))
      return this.responseUrl(url.pathname.slice('/response/'.length), req, res);
    const m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const method = m[1]!;
    const at = Date.now();
    const contentType = String(req.headers['content-type'] ?? '');
    const raw = await readBody(req);
    let params: Params;
    try {
      params = parseParams(raw, contentType, url.searchParams);
    } catch {
      this.reply(res, { method, params: { raw }, at, token: undefined, contentType }, 200, {
        ok: false,
        error: 'invalid_json',
      });
      return;
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = bearer ?? asString(params.token);
    delete params.token;
    const base = { method, params, at, token, contentType };

    const fault = this.takeFault(method, params);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.hang) {
      this.hanging.add(res);
      this.record({ ...base, status: 0, response: null });
      return;
    }
    if (fault?.drop) {
      req.socket.destroy();
      this.record({ ...base, status: 0, response: null });
      return;
    }
    const failing = fault && (fault.status !== undefined || fault.error !== undefined);

    if (!token) return this.reply(res, base, 200, { ok: false, error: 'not_authed' });
    if ((this.opts.token && token !== this.opts.token) || !/^xox[bp]-/.test(token))
      return this.reply(res, base, 200, { ok: false, error: 'invalid_auth' });

    if (failing && !fault.afterEffect) return this.replyFault(res, base, fault);

    const retryAfter = this.rateLimit(method, params);
    if (retryAfter !== undefined)
      return this.reply(
        res,
        base,
        429,
        { ok: false, error: 'ratelimited' },
        { 'retry-after': String(retryAfter) },
      );

    const handler = this.handlers[method];
    let body: Record<string, unknown>;
    if (!handler) body = { ok: false, error: 'unknown_method' };
    else {
      try {
        body = { ok: true, ...handler(params, { token }) };
      } catch (err) {
        if (!(err instanceof SlackFailure)) throw err;
        body = { ok: false, error: err.error, ...err.extra };
      }
    }
    if (failing) return this.replyFault(res, base, fault);
    this.reply(res, base, 200, body);
  }

  private takeFault(method: string, params: Params): SlackFault | undefined {
    const i = this.faults.findIndex(
      (f) => (f.method === method || f.method === '*') && (!f.fault.match || f.fault.match(params)),
    );
    if (i < 0) return undefined;
    const entry = this.faults[i]!;
    entry.left -= 1;
    if (entry.left <= 0) this.faults.splice(i, 1);
    return entry.fault;
  }

  private replyFault(
    res: http.ServerResponse,
    base: Omit<RecordedCall, 'status' | 'response'>,
    f: SlackFault,
  ): void {
    const status = f.status ?? (f.error ? 200 : 500);
    const error = f.error ?? (status === 429 ? 'ratelimited' : 'internal_error');
    const headers: Record<string, string> =
      status === 429 ? { 'retry-after': String(f.retryAfter ?? 1) } : {};
    this.reply(res, base, status, { ok: false, error }, headers);
  }

  /** Undefined when the call may go ahead; otherwise the Retry-After seconds. */
  private rateLimit(method: string, params: Params): number | undefined {
    if (!this.rateLimitsOn) return undefined;
    const rule = this.rateLimitOpts.rules?.[method] ?? DEFAULT_RATE_LIMITS[method];
    if (!rule) return undefined;
    const key = rule.perChannel ? `${method}:${asString(params.channel) ?? ''}` : method;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rule, this.rateLimitOpts.timeScale ?? 1);
      this.buckets.set(key, bucket);
    }
    return bucket.take(Date.now());
  }

  private reply(
    res: http.ServerResponse,
    base: Omit<RecordedCall, 'status' | 'response'>,
    status: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
    this.record({ ...base, status, response: body });
  }

  private record(call: RecordedCall): void {
    this.recorded.push(call);
    this.notify();
  }

  /** `response_url`: up to 5 uses within 30 minutes (PLATFORM-FACTS.md). */
  private async responseUrl(id: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = raw ? JSON.parse(raw) : {};
      body = isObject(parsed) ? parsed : { value: parsed };
    } catch {
      body = { raw };
    }
    const meta = this.responseUrls.get(id);
    const send = (status: number, out: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(out));
      this.responsePosts.push({ id, body, at: Date.now(), status });
      this.notify();
    };
    if (!meta) return send(404, { ok: false, error: 'invalid_url' });
    if (Date.now() - meta.at > RESPONSE_URL_TTL_MS) return send(404, { ok: false, error: 'expired_url' });
    if (meta.uses >= RESPONSE_URL_USES) return send(404, { ok: false, error: 'used_url' });
    meta.uses += 1;
    // An in_channel response appears in the channel as the app's message.
    if (
      body.response_type === 'in_channel' &&
      meta.channel &&
      !body.replace_original &&
      !body.delete_original
    ) {
      this.postedByBot(meta.channel, asString(body.thread_ts), {
        text: asString(body.text) ?? '',
        ...(Array.isArray(body.blocks) ? { blocks: body.blocks } : {}),
      });
    }
    send(200, { ok: true });
  }
}

/** Starts a Slack Web API stand-in on a free loopback port. */
export const startSlackApi = (opts: SlackStandinOptions = {}): Promise<SlackApiStandin> =>
  new SlackApiStandin(opts).listen();
