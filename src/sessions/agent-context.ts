import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from './keys.js';

/** What a user is looking at in Slack while the bot's Messages tab is open (app_context_changed). */
export interface Viewing {
  /** The channel in view (never a DM). */
  channelId?: string;
  /** The message in view, when Slack names one (a thread). */
  messageTs?: string;
}

const viewingSchema = z.object({ channelId: z.string().optional(), messageTs: z.string().optional() });

/** A context is about what is on screen now: after an hour without a change it says little. */
export const CONTEXT_TTL_SECONDS = 3_600;
/** The Messages tab greets a user at most once in this long. */
export const GREETING_INTERVAL_SECONDS = 86_400;

/**
 * The Messages tab's per-user memory in Redis: the latest context, when the user was greeted, and
 * which prompts their tab shows. Every key expires.
 */
export const createAgentContextStore = (deps: {
  redis: Redis;
  keys: Pick<Keys, 'userContext' | 'userGreeted' | 'userPrompts'>;
}) => ({
  /** Remembers the latest context; "nothing in view" is remembered too (it replaces a channel). */
  async remember(teamId: string, userId: string, viewing: Viewing | undefined): Promise<void> {
    await deps.redis.set(
      deps.keys.userContext(teamId, userId),
      JSON.stringify(viewing ?? {}),
      'EX',
      CONTEXT_TTL_SECONDS,
    );
  },
  async viewing(teamId: string, userId: string): Promise<Viewing | undefined> {
    const raw = await deps.redis.get(deps.keys.userContext(teamId, userId));
    if (!raw) return undefined;
    try {
      const parsed = viewingSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  },
  /** True when the user was not greeted in the last day; from then on, false for a day. */
  async greetOnce(teamId: string, userId: string): Promise<boolean> {
    const key = deps.keys.userGreeted(teamId, userId);
    return (await deps.redis.set(key, String(Date.now()), 'EX', GREETING_INTERVAL_SECONDS, 'NX')) === 'OK';
  },
  async forgetGreeting(teamId: string, userId: string): Promise<void> {
    await deps.redis.del(deps.keys.userGreeted(teamId, userId));
  },
  /** Records the prompts now shown (`which` names them); true when they differ from the last ones. */
  async promptsChanged(teamId: string, userId: string, which: string): Promise<boolean> {
    const key = deps.keys.userPrompts(teamId, userId);
    const before = await deps.redis.set(key, which, 'EX', GREETING_INTERVAL_SECONDS, 'GET');
    return before !== which;
  },
  /** Forgets which prompts are shown (they could not be set). */
  async forgetPrompts(teamId: string, userId: string): Promise<void> {
    await deps.redis.del(deps.keys.userPrompts(teamId, userId));
  },
});

export type AgentContextStore = ReturnType<typeof createAgentContextStore>;
