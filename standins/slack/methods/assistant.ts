import { asString, fail, required } from '../params.js';
import type { Handler } from './handler.js';

/** The thread status ("is thinking…") shown under an assistant thread until the app replies. */
export const assistantMethods: Record<string, Handler> = {
  'assistant.threads.setStatus': (p, { ws }) => {
    const channel = required(p, 'channel_id', 'channel_not_found');
    const threadTs = required(p, 'thread_ts');
    if (p.status === undefined) throw fail('invalid_arguments', ['missing required field: status']);
    ws.checkChannel('assistant.threads.setStatus', channel);
    const status = asString(p.status) ?? '';
    const key = `${channel}/${ws.store.rootOf(channel, threadTs)}`;
    if (status === '') ws.statuses.delete(key);
    else
      ws.statuses.set(key, {
        status,
        at: Date.now(),
        ...(p.loading_messages !== undefined ? { loading_messages: p.loading_messages } : {}),
      });
    return {};
  },
};
