import { SESSION_STATUSES, type SessionStatus } from '../agent-sessions.js';
import { markdownChunks, messageBlocks, metadataParam } from '../content.js';
import { asString, fail, required } from '../params.js';
import type { Handler } from './handler.js';

/** Native answer streaming: chat.startStream, chat.appendStream, chat.stopStream. */
export const streamMethods: Record<string, Handler> = {
  'chat.startStream': (p, { ws }) => {
    if (ws.streamingRefusal) throw fail(ws.streamingRefusal);
    const channel = required(p, 'channel', 'channel_not_found');
    const threadTs = required(p, 'thread_ts');
    ws.checkChannel('chat.startStream', channel);
    // Outside DMs Slack needs to know whom the stream is for.
    if (!channel.startsWith('D')) {
      if (!asString(p.recipient_user_id)) throw fail('missing_recipient_user_id');
      if (!asString(p.recipient_team_id)) throw fail('missing_recipient_team_id');
    }
    const { text, chunks } = markdownChunks(p);
    const rec = ws.postedByBot(channel, threadTs, { text });
    rec.stream = { state: 'streaming', startedAt: Date.now(), chunks };
    return { channel, ts: rec.message.ts };
  },

  'chat.appendStream': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    const ts = required(p, 'ts', 'message_not_found');
    ws.checkChannel('chat.appendStream', channel);
    const { text, chunks } = markdownChunks(p);
    if (!text && chunks.length === 0)
      throw fail('invalid_arguments', ['markdown_text or chunks is required']);
    const s = ws.liveStream(channel, ts);
    s.rec.message.text += text;
    s.chunks.push(...chunks);
    return { channel, ts };
  },

  'chat.stopStream': (p, { ws }) => {
    const channel = required(p, 'channel', 'channel_not_found');
    const ts = required(p, 'ts', 'message_not_found');
    ws.checkChannel('chat.stopStream', channel);
    const { text, chunks } = markdownChunks(p);
    const blocks = messageBlocks(p, ws.opts.blocksTextLimit);
    const metadata = metadataParam(p);
    const sessionStatus = asString(p.session_status);
    if (sessionStatus !== undefined && !SESSION_STATUSES.includes(sessionStatus as SessionStatus))
      throw fail('invalid_arguments', [`session_status must be one of ${SESSION_STATUSES.join(', ')}`]);
    const s = ws.liveStream(channel, ts);
    s.rec.message.text += text;
    s.chunks.push(...chunks);
    if (blocks) s.rec.message.blocks = blocks;
    if (metadata) s.rec.message.metadata = metadata;
    s.state = 'stopped';
    // "The session status to set after stopping the stream": moves the thread's agent session, if any.
    const session = ws.agents.sessions.get(ws.agents.key(channel, ws.store.rootOf(channel, ts)));
    if (session && sessionStatus) {
      session.status = sessionStatus as SessionStatus;
      session.history.push({ status: session.status, title: session.title, kind: 'status', at: Date.now() });
    }
    return { channel, ts, message: ws.store.apiMessage(channel, ts) };
  },
};
