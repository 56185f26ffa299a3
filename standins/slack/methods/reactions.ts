import { fail, required } from '../params.js';
import type { Params } from '../types.js';
import type { Workspace } from '../workspace.js';
import type { Handler } from './handler.js';

/** The message (and reaction name, for changes) a reactions.* call names, in a channel the bot may use. */
const target = (method: string, p: Params, ws: Workspace) => {
  const channel = required(p, 'channel', 'channel_not_found');
  const ts = required(p, 'timestamp', 'message_not_found');
  const isRead = method === 'reactions.get';
  const name = isRead ? '' : required(p, 'name', 'invalid_name').replace(/^:|:$/g, '');
  ws.checkChannel(method, channel, !isRead);
  const rec = ws.store.find(channel, ts);
  if (!rec) throw fail('message_not_found');
  return { channel, ts, name, rec };
};

export const reactionMethods: Record<string, Handler> = {
  'reactions.add': (p, { token, ws }) => {
    const { rec, name } = target('reactions.add', p, ws);
    if (!ws.store.react(rec, name, ws.userFor(token))) throw fail('already_reacted');
    return {};
  },

  'reactions.remove': (p, { token, ws }) => {
    const { rec, name } = target('reactions.remove', p, ws);
    if (!ws.store.unreact(rec, name, ws.userFor(token))) throw fail('no_reaction');
    return {};
  },

  'reactions.get': (p, { ws }) => {
    const { channel, ts } = target('reactions.get', p, ws);
    return { type: 'message', channel, message: ws.store.apiMessage(channel, ts) };
  },
};
