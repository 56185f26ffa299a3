import { compareTs, TsClock } from './ids.js';
import type { SlackMessage, StoredMessage, StreamState } from './types.js';

/**
 * The workspace's messages, per channel: threads as Slack shows them (roots carry a reply summary,
 * a reply's `thread_ts` always names the root), reactions, and the state of streamed messages.
 */

export interface StoreEntry {
  channel: string;
  message: SlackMessage;
  stream?: { state: StreamState; startedAt: number; expiredError?: string; chunks: unknown[] };
}

export class MessageStore {
  private readonly channels = new Map<string, Map<string, StoreEntry>>();
  private readonly clock = new TsClock();

  clear(): void {
    this.channels.clear();
  }

  /** A fresh, unique, increasing message ts (`1700000000.000123`). */
  nextTs(): string {
    return this.clock.next();
  }

  /** Keeps later `nextTs()` values above a ts chosen by the caller. */
  sawTs(ts: string): void {
    this.clock.saw(ts);
  }

  /** Whether any message was ever put in the channel. */
  hasChannel(channel: string): boolean {
    return this.channels.has(channel);
  }

  find(channel: string, ts: string): StoreEntry | undefined {
    return this.channels.get(channel)?.get(ts);
  }

  put(rec: StoreEntry): void {
    let ch = this.channels.get(rec.channel);
    if (!ch) {
      ch = new Map();
      this.channels.set(rec.channel, ch);
    }
    ch.set(rec.message.ts, rec);
  }

  delete(channel: string, ts: string): void {
    this.channels.get(channel)?.delete(ts);
  }

  /** The ts of the thread root a ts belongs to (itself for a root or unknown message). */
  rootOf(channel: string, ts: string): string {
    return this.find(channel, ts)?.message.thread_ts ?? ts;
  }

  threadFields(channel: string, root: string): Pick<SlackMessage, 'thread_ts' | 'parent_user_id'> {
    const parent = this.find(channel, root)?.message.user;
    return { thread_ts: root, ...(parent ? { parent_user_id: parent } : {}) };
  }

  /** A copy of a stored message with the thread summary Slack adds to roots. */
  view(channel: string, ts: string): StoredMessage | undefined {
    const rec = this.find(channel, ts);
    if (!rec) return undefined;
    const message = structuredClone(rec.message);
    const isReply = message.thread_ts !== undefined && message.thread_ts !== message.ts;
    if (!isReply) {
      const replies = this.entries(channel)
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
  apiMessage(channel: string, ts: string, includeMetadata = true): SlackMessage {
    const { channel: _c, stream: _s, ...message } = this.view(channel, ts)!;
    if (!includeMetadata) delete message.metadata;
    return message;
  }

  /** In ts order: the thread (root first) when `threadTs` is given, else the whole channel, replies included. */
  messages(channel: string, threadTs?: string): StoredMessage[] {
    const all = this.entries(channel);
    const root = threadTs ? this.rootOf(channel, threadTs) : undefined;
    const picked = threadTs ? all.filter((r) => r.message.ts === root || r.message.thread_ts === root) : all;
    return picked
      .sort((a, b) => compareTs(a.message.ts, b.message.ts))
      .map((r) => this.view(channel, r.message.ts)!);
  }

  /** Adds `user`'s reaction; false when they had already reacted so. */
  react(rec: StoreEntry, name: string, user: string): boolean {
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

  /** Removes `user`'s reaction; false when they had none of that name. */
  unreact(rec: StoreEntry, name: string, user: string): boolean {
    const r = rec.message.reactions?.find((x) => x.name === name);
    if (!r?.users.includes(user)) return false;
    r.users = r.users.filter((u) => u !== user);
    r.count = r.users.length;
    if (r.count === 0) rec.message.reactions = rec.message.reactions?.filter((x) => x !== r);
    if (rec.message.reactions?.length === 0) delete rec.message.reactions;
    return true;
  }

  private entries(channel: string): StoreEntry[] {
    return [...(this.channels.get(channel)?.values() ?? [])];
  }
}
