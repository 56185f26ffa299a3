import type { WebClient } from '@slack/web-api';
import { toMetadata } from './metadata.js';
import { neutralize } from './neutralize.js';
import { requireTs, type SlackCall } from './slack-call.js';

/** A prompt Slack offers under the composer: its label, and the message it sends when clicked. */
export interface SuggestedPrompt {
  title: string;
  message: string;
}

/** Slack shows at most four suggested prompts. */
export const MAX_SUGGESTED_PROMPTS = 4;

export interface MessagesTabWriter {
  /** Posts the greeting at the top of the user's DM with the bot; resolves with its ts. */
  greet(channelId: string, text: string): Promise<string>;
  /**
   * Sets the prompts under the DM's composer. No `thread_ts`: Slack's method page says an agent
   * app (`agent_view`) that passes one makes the call fail silently; without it, the prompts go
   * with the latest message in the channel.
   */
  suggestPrompts(channelId: string, prompts: readonly SuggestedPrompt[], title?: string): Promise<void>;
}

export const createMessagesTabWriter = (deps: {
  client: Pick<WebClient, 'chat' | 'assistant'>;
  call: SlackCall;
}): MessagesTabWriter => ({
  greet: async (channelId, text) => {
    const res = await deps.call('chat.postMessage', channelId, () =>
      deps.client.chat.postMessage({
        channel: channelId,
        text: neutralize(text),
        unfurl_links: false,
        // A note: a reply in its thread starts a session whose context leaves the greeting out.
        metadata: toMetadata({ type: 'note', requestId: 'greeting', kind: 'hint' }),
      }),
    );
    return requireTs(res.ts, 'chat.postMessage');
  },
  suggestPrompts: async (channelId, prompts, title) => {
    await deps.call('assistant.threads.setSuggestedPrompts', channelId, () =>
      deps.client.assistant.threads.setSuggestedPrompts({
        channel_id: channelId,
        prompts: prompts.slice(0, MAX_SUGGESTED_PROMPTS).map((p) => ({ ...p })),
        ...(title ? { title } : {}),
      }),
    );
  },
});
