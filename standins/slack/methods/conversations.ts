import { compareTs } from '../ids.js';
import { asBool, asString, fail, required } from '../params.js';
import type { Handler } from './handler.js';

/** Reading threads and channels, and joining them. */
export const conversationMethods: Record<string, Handler> = {
  'conversations.replies': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    const ts = required(p, 'ts', 'thread_not_found');
    ws.checkChannel('conversations.replies', channel, false);
    if (!ws.store.find(channel, ts)) throw fail('thread_not_found');
    const withMetadata = asBool(p.include_all_metadata);
    const thread = ws.store.messages(channel, ts).map((m) => m.ts);
    const cap = Math.min(ws.opts.maxRepliesPerPage ?? 1000, 1000);
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
      messages: page.map((t) => ws.store.apiMessage(channel, t, withMetadata)),
      has_more: next !== undefined,
      response_metadata: { next_cursor: next ? Buffer.from(`next_ts:${next}`).toString('base64') : '' },
    };
  },

  'conversations.history': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    ws.checkChannel('conversations.history', channel, false);
    const withMetadata = asBool(p.include_all_metadata);
    const top = ws.store
      .messages(channel)
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
      messages: page.map((t) => ws.store.apiMessage(channel, t, withMetadata)),
      has_more: more,
      response_metadata: {
        next_cursor: more ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '',
      },
    };
  },

  'conversations.info': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    if (ws.channels.get(channel)?.unknown) throw fail('channel_not_found');
    return { channel: ws.channelInfo(channel) };
  },

  'conversations.join': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    const c = ws.channels.get(channel);
    if (c?.unknown) throw fail('channel_not_found');
    if (channel.startsWith('D')) throw fail('method_not_supported_for_channel_type');
    if (c?.archived) throw fail('is_archived');
    const already = ws.isMember(channel);
    ws.setChannel(channel, { member: true });
    return {
      channel: ws.channelInfo(channel),
      ...(already
        ? { warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } }
        : {}),
    };
  },
};
