import { messageContent } from '../content.js';
import { asString, fail, required } from '../params.js';
import type { Handler } from './handler.js';

/** Posting, editing and deleting messages. */
export const chatMethods: Record<string, Handler> = {
  'chat.postMessage': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    ws.checkChannel('chat.postMessage', channel);
    const content = messageContent(p, true, ws.opts.blocksTextLimit);
    const rec = ws.postedByBot(channel, asString(p.thread_ts) || undefined, content);
    return { channel, ts: rec.message.ts, message: ws.store.apiMessage(channel, rec.message.ts) };
  },

  'chat.postEphemeral': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    const user = required(p, 'user', 'user_not_in_channel');
    ws.checkChannel('chat.postEphemeral', channel);
    const { text, blocks } = messageContent(p, true, ws.opts.blocksTextLimit);
    const message_ts = ws.store.nextTs();
    const threadTs = asString(p.thread_ts) || undefined;
    ws.ephemerals.push({
      channel,
      user,
      message_ts,
      text: text ?? '',
      ...(blocks ? { blocks } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return { message_ts };
  },

  'chat.update': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    const ts = required(p, 'ts', 'message_not_found');
    ws.checkChannel('chat.update', channel);
    const rec = ws.botMessage(channel, ts, 'update');
    const { text, blocks, metadata } = messageContent(p, false, ws.opts.blocksTextLimit);
    if (text === undefined && blocks === undefined && metadata === undefined && p.attachments === undefined)
      throw fail('no_text');
    // Slack keeps the previous blocks when `blocks` is omitted; an empty array removes them.
    if (text !== undefined) rec.message.text = text;
    if (blocks !== undefined) {
      if (blocks.length) rec.message.blocks = blocks;
      else delete rec.message.blocks;
    }
    if (metadata) rec.message.metadata = metadata;
    rec.message.edited = { user: ws.botUserId, ts: ws.store.nextTs() };
    return { channel, ts, text: rec.message.text, message: ws.store.apiMessage(channel, ts) };
  },

  'chat.delete': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    const ts = required(p, 'ts', 'message_not_found');
    ws.checkChannel('chat.delete', channel);
    ws.botMessage(channel, ts, 'delete');
    ws.store.delete(channel, ts);
    return { channel, ts };
  },

  'chat.getPermalink': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    const ts = required(p, 'message_ts', 'message_not_found');
    ws.checkChannel('chat.getPermalink', channel, false);
    const rec = ws.store.find(channel, ts);
    if (!rec) throw fail('message_not_found');
    const base = `https://${ws.teamDomain}.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
    const thread = rec.message.thread_ts;
    const permalink = thread && thread !== ts ? `${base}?thread_ts=${thread}&cid=${channel}` : base;
    return { channel, permalink };
  },
};
