import { asString, fail, required } from '../params.js';
import type { Handler } from './handler.js';

const isPrompt = (v: unknown): v is { title: string; message: string } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { title?: unknown }).title === 'string' &&
  typeof (v as { message?: unknown }).message === 'string';

/**
 * The thread status ("is thinking…") shown under an assistant thread until the app replies, and
 * the suggested prompts under a DM's composer.
 */
export const assistantMethods: Record<string, Handler> = {
  /**
   * Up to four prompts, each a title and a message. This stand-in plays an `agent_view` app:
   * Slack's method page says such an app's call with `thread_ts` fails silently, so one is
   * answered `ok` and shows nothing.
   */
  'assistant.threads.setSuggestedPrompts': (p, { ws }) => {
    const channel = required(p, 'channel_id', 'channel_not_found');
    ws.checkChannel('assistant.threads.setSuggestedPrompts', channel);
    const prompts = p.prompts;
    if (!Array.isArray(prompts) || prompts.length === 0 || prompts.length > 4 || !prompts.every(isPrompt))
      throw fail('invalid_arguments', ['prompts must be 1 to 4 objects with a title and a message']);
    if (p.thread_ts !== undefined) return {};
    const title = asString(p.title);
    ws.agents.prompts.set(channel, {
      prompts: prompts.map(({ title: t, message }) => ({ title: t, message })),
      ...(title !== undefined ? { title } : {}),
      at: Date.now(),
    });
    return {};
  },
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
