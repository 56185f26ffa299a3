import { randomBytes } from 'node:crypto';
import { AgentSessionsState } from './agent-sessions.js';
import { FileStore, SharedFiles } from './files.js';
import { newTriggerId, SlackIdentity } from './ids.js';
import { fail } from './params.js';
import { MessageStore, type StoreEntry } from './store.js';
import type {
  AssistantStatus,
  ChannelSettings,
  Ephemeral,
  SeedMessage,
  SlackMessage,
  SlackStandinOptions,
  StoredMessage,
  StoredView,
  UserProfile,
} from './types.js';

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

/** Slack's trigger_id: single use, within 3 s of the interaction. */
export const TRIGGER_TTL_MS = 3000;

/**
 * One workspace as the bot sees it through the Web API: who the bot is, its channels and users,
 * their messages, ephemeral notes, views and assistant statuses. The method handlers read and
 * change it; the stand-in's control and inspection methods reach it too.
 */
export class Workspace extends SlackIdentity {
  readonly store = new MessageStore();
  readonly channels = new Map<string, ChannelSettings>();
  readonly users = new Map<string, UserProfile | null>();
  /** User groups' members, by group id (usergroups.users.list). */
  readonly usergroups = new Map<string, string[]>();
  readonly homeViews = new Map<string, StoredView>();
  readonly modalViews = new Map<string, StoredView>();
  readonly statuses = new Map<string, AssistantStatus>();
  /** Agent sessions per thread, suggested prompts per DM, and what the workspace refuses. */
  readonly agents = new AgentSessionsState();
  readonly triggers = new Map<string, { at: number; used: boolean }>();
  /** Files uploaded with files.uploadV2 (files.ts). */
  readonly files = new FileStore();
  /** Files users shared on messages (url_private_download, files.info). */
  readonly shared = new SharedFiles();
  ephemerals: Ephemeral[] = [];
  streamingRefusal: string | undefined;

  constructor(readonly opts: SlackStandinOptions) {
    super(opts);
    this.reset();
  }

  /** Back to the constructor's options: no messages, channels, views or statuses. */
  reset(): void {
    this.store.clear();
    this.channels.clear();
    this.users.clear();
    this.homeViews.clear();
    this.modalViews.clear();
    this.statuses.clear();
    this.agents.clear();
    this.triggers.clear();
    this.files.clear();
    this.shared.clear();
    this.ephemerals = [];
    this.streamingRefusal = undefined;
    for (const [id, profile] of Object.entries(this.opts.users ?? {})) this.users.set(id, profile);
  }

  // ----- channels and users ---------------------------------------------------------------

  setChannel(id: string, settings: ChannelSettings): void {
    this.channels.set(id, { ...this.channels.get(id), ...settings });
  }

  /** Whether the channel is this workspace's: configured here, or holding messages here. */
  knows(channel: string): boolean {
    return this.channels.has(channel) || this.store.hasChannel(channel);
  }

  isMember(channel: string): boolean {
    return this.channels.get(channel)?.member ?? this.opts.defaultMember ?? true;
  }

  checkChannel(method: string, channel: string, write = true): void {
    const c = this.channels.get(channel);
    if (c?.unknown) throw fail('channel_not_found');
    if (write && c?.archived && method !== 'conversations.replies') throw fail('is_archived');
    if (NEEDS_MEMBERSHIP.has(method) && !this.isMember(channel)) throw fail('not_in_channel');
  }

  channelInfo(id: string): Record<string, unknown> {
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

  /** Whose token it is: the bot's unless a user token (xoxp-…) names someone else. */
  userFor(token: string | undefined): string {
    return token?.startsWith('xoxp-') ? `U${token.slice(5, 15).toUpperCase()}` : this.botUserId;
  }

  // ----- messages -------------------------------------------------------------------------

  /** Seeds a message (a user's, usually); `thread_ts` pointing at a reply is normalised to the root, as Slack does. */
  addMessage(m: SeedMessage): StoredMessage {
    const ts = m.ts ?? this.store.nextTs();
    if (m.ts) this.store.sawTs(m.ts);
    const root = m.thread_ts ? this.store.rootOf(m.channel, m.thread_ts) : undefined;
    const message: SlackMessage = {
      type: 'message',
      ts,
      text: m.text,
      user: m.user,
      team: this.teamId,
      ...(m.bot_id ? { bot_id: m.bot_id } : {}),
      ...(m.blocks ? { blocks: m.blocks } : {}),
      ...(m.metadata ? { metadata: m.metadata } : {}),
      ...(m.thread_ts && m.thread_ts !== ts ? this.store.threadFields(m.channel, root ?? m.thread_ts) : {}),
    };
    if (m.files?.length) {
      // A message with files is a `file_share` (Slack's subtype for a user's upload with a message).
      message.subtype = 'file_share';
      message.files = m.files.map((seed) =>
        this.shared.object(this.shared.add(seed, this.files.baseUrl), { stub: seed.stub === true }),
      );
    }
    this.store.put({ channel: m.channel, message });
    return this.store.view(m.channel, ts)!;
  }

  postedByBot(channel: string, threadTs: string | undefined, content: Partial<SlackMessage>): StoreEntry {
    const ts = this.store.nextTs();
    const root = threadTs ? this.store.rootOf(channel, threadTs) : undefined;
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
      ...(root ? this.store.threadFields(channel, root) : {}),
    };
    const rec: StoreEntry = { channel, message };
    this.store.put(rec);
    // Slack clears the assistant status when the app replies in the thread.
    if (root) this.statuses.delete(`${channel}/${root}`);
    return rec;
  }

  /** A message the bot may change: its own. */
  botMessage(channel: string, ts: string, action: 'update' | 'delete'): StoreEntry {
    const rec = this.store.find(channel, ts);
    if (!rec) throw fail('message_not_found');
    if (rec.message.bot_id !== this.botId)
      throw fail(action === 'update' ? 'cant_update_message' : 'cant_delete_message');
    return rec;
  }

  /** A stream that still takes appends (it expires after `streamLifetimeMs`). */
  liveStream(channel: string, ts: string): NonNullable<StoreEntry['stream']> & { rec: StoreEntry } {
    const rec = this.store.find(channel, ts);
    if (!rec) throw fail('message_not_found');
    const s = rec.stream;
    if (!s) throw fail('message_not_in_streaming_state');
    const lifetime = this.opts.streamLifetimeMs;
    if (s.state === 'streaming' && lifetime !== undefined && Date.now() - s.startedAt > lifetime)
      s.state = 'expired';
    if (s.state !== 'streaming') throw fail(s.expiredError ?? 'message_not_in_streaming_state');
    return Object.assign(s, { rec });
  }

  /**
   * Someone pressed the stop button of the thread's agent session: Slack stops the app's streams
   * there that are still streaming (later appends and stops get `message_not_in_streaming_state`)
   * and names them in the event's `streaming_message_ts`.
   */
  stopSessionStreams(channel: string, threadTs: string): string[] {
    const stopped: string[] = [];
    for (const m of this.store.messages(channel, threadTs)) {
      const rec = this.store.find(channel, m.ts);
      if (rec?.stream?.state !== 'streaming' || rec.message.bot_id !== this.botId) continue;
      rec.stream.state = 'stopped';
      stopped.push(m.ts);
    }
    return stopped;
  }

  // ----- views ----------------------------------------------------------------------------

  storeView(v: Record<string, unknown>, id = `V${randomBytes(5).toString('hex').toUpperCase()}`): StoredView {
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

  /** A trigger_id that views.open accepts once, within 3 s. */
  mintTriggerId(): string {
    const id = newTriggerId();
    this.triggers.set(id, { at: Date.now(), used: false });
    return id;
  }
}
