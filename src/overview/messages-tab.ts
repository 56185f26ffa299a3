import { bestEffort } from '../core/best-effort.js';
import type { Logger } from '../core/logger.js';
import type { SuggestedPrompt } from '../out/messages-tab.js';
import type { SlackPoster } from '../out/poster.js';
import type { AgentContextStore, Viewing } from '../sessions/agent-context.js';

export const PROMPTS_TITLE = 'Try asking';

/**
 * Prompts that fit what the user is looking at: about the channel in view when there is one, about
 * their own sessions otherwise. A prompt only fills the composer with its message; nothing is read
 * or posted until the user sends it.
 */
export const promptsFor = (viewing: Viewing | undefined): SuggestedPrompt[] => {
  const channel = viewing?.channelId;
  if (channel)
    return [
      {
        title: "Summarize the thread I'm in",
        message: `Summarize the thread I'm reading in <#${channel}>: the question, what was decided, and what is still open.`,
      },
      {
        title: 'Help me reply',
        message: `Help me write a clear, friendly reply for the conversation in <#${channel}>.`,
      },
      { title: 'What did I ask you last?', message: 'What did I ask you last?' },
    ];
  return [
    { title: 'What did I ask you last?', message: 'What did I ask you last?' },
    {
      title: 'Explain something',
      message: 'Explain a concept I should understand, step by step, with one example.',
    },
    { title: 'Draft a message', message: 'Help me draft a short, clear message to my team.' },
  ];
};

/** Names a set of prompts, so the same ones are not set again. */
const promptsKey = (viewing: Viewing | undefined) =>
  viewing?.channelId ? `channel:${viewing.channelId}` : 'none';

export const greetingText = (userId: string) =>
  `👋 Hi <@${userId}>! Ask me anything here: each message you send starts its own thread, and ` +
  'that thread is our session. Mention me in a channel or use `/ask` to ask there; `/ask help` shows the rest.';

export interface MessagesTabDeps {
  poster: Pick<SlackPoster, 'greet' | 'suggestPrompts'>;
  context: Pick<
    AgentContextStore,
    'remember' | 'viewing' | 'greetOnce' | 'forgetGreeting' | 'promptsChanged' | 'forgetPrompts'
  >;
  logger: Logger;
}

/**
 * The Messages tab of the Agent messaging experience (`app_home_opened` with `tab: "messages"`,
 * which replaces `assistant_thread_started`): a greeting at most once a day, and suggested prompts
 * that fit the channel the user views (from `app_context_changed`). A context event is only
 * remembered: it never posts anything anywhere.
 */
export const createMessagesTab = (deps: MessagesTabDeps) => {
  const log = deps.logger.child({ component: 'messages-tab' });
  return {
    async opened(o: { teamId: string; userId: string; channelId: string; viewing?: Viewing | undefined }) {
      const { teamId, userId, channelId } = o;
      if (o.viewing) await deps.context.remember(teamId, userId, o.viewing);
      const viewing = o.viewing ?? (await deps.context.viewing(teamId, userId));
      const greeted = await deps.context.greetOnce(teamId, userId);
      if (greeted)
        await deps.poster.greet(channelId, greetingText(userId)).catch(async (err: unknown) => {
          // Not greeted after all: the job's retry (or the next open) greets.
          await deps.context.forgetGreeting(teamId, userId);
          throw err;
        });
      // Prompts go with the DM's latest message: after a greeting they are set anew; otherwise only
      // when the context calls for other ones (setSuggestedPrompts is Tier 4, and tabs open often).
      const changed = await deps.context.promptsChanged(teamId, userId, promptsKey(viewing));
      if (!greeted && !changed) return;
      const set = await bestEffort(log.child({ userId }), 'suggested prompts', async () => {
        await deps.poster.suggestPrompts(channelId, promptsFor(viewing), PROMPTS_TITLE);
        return true;
      });
      if (!set) await deps.context.forgetPrompts(teamId, userId);
    },
    async contextChanged(o: { teamId: string; userId: string; viewing?: Viewing | undefined }) {
      await deps.context.remember(o.teamId, o.userId, o.viewing);
    },
  };
};

export type MessagesTab = ReturnType<typeof createMessagesTab>;
