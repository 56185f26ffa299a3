import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../src/sessions/keys.js';
import { pause, type Stack, useStack } from '../support/stack.js';

/**
 * The Messages tab of the Agent messaging experience: `app_home_opened` with `tab: "messages"`
 * greets a user at most once a day and offers prompts that fit the channel they view, which
 * `app_context_changed` tells; a context event alone never posts anything.
 */
const start = useStack();

const posts = (s: Stack) => s.slack.calls('chat.postMessage');
const promptCalls = (s: Stack) => s.slack.calls('assistant.threads.setSuggestedPrompts');
const promptTitles = (s: Stack, dm: string) => s.slack.suggestedPrompts(dm)?.prompts.map((p) => p.title);
/** The context the bot remembers for a user, as stored in Redis. */
const remembered = async (s: Stack, user: string) => {
  const redis = new Redis(inject('redisUrl'));
  try {
    return await redis.get(createKeys(s.prefix).userContext(s.driver.teamId, user));
  } finally {
    redis.disconnect();
  }
};
/** Context events and tab opens are separate intake jobs: wait until the context is stored. */
const waitRemembered = async (s: Stack, user: string, json: string) => {
  for (let i = 0; i < 100 && (await remembered(s, user)) !== json; i++) await pause(50);
  expect(await remembered(s, user)).toBe(json);
};

describe('the Messages tab', () => {
  it('greets once a day, with prompts that fit the channel the user views', async () => {
    const s = await start();
    const dm = s.driver.dmChannel('U1');
    await s.driver.contextChanged({ user: 'U1', viewing: { channel: 'C42' } });
    await waitRemembered(s, 'U1', '{"channelId":"C42"}');
    // A context event is only remembered: nothing is posted, no prompt is set.
    await pause(200);
    expect(posts(s)).toHaveLength(0);
    expect(promptCalls(s)).toHaveLength(0);

    const opened = await s.driver.homeOpened({ user: 'U1', tab: 'messages' });
    expect(opened.ack.status).toBe(200);
    await s.slack.waitFor(() => s.slack.suggestedPrompts(dm), 5_000, 'suggested prompts');
    const greetings = s.slack.messages(dm);
    expect(greetings).toHaveLength(1);
    expect(greetings[0]?.text).toContain('Hi <@U1>');
    expect(greetings[0]?.metadata?.event_type).toBe('backchannel_note');
    expect(promptTitles(s, dm)).toContain("Summarize the thread I'm in");
    expect(JSON.stringify(s.slack.suggestedPrompts(dm))).toContain('<#C42>');
    // An agent app's prompts go without thread_ts (with one, Slack drops them silently).
    expect(promptCalls(s)[0]?.params.thread_ts).toBeUndefined();

    // Opened again the same day, in the same context: no second greeting, no second call.
    await s.driver.homeOpened({ user: 'U1', tab: 'messages' });
    await pause(400);
    expect(s.slack.messages(dm)).toHaveLength(1);
    expect(promptCalls(s)).toHaveLength(1);

    // Nothing in view any more: the next open offers the other prompts, still without a greeting.
    await s.driver.contextChanged({ user: 'U1' });
    await waitRemembered(s, 'U1', '{}');
    await s.driver.homeOpened({ user: 'U1', tab: 'messages' });
    await s.slack.waitFor(() => promptCalls(s).length === 2, 5_000, 'prompts set again');
    expect(promptTitles(s, dm)).toContain('What did I ask you last?');
    expect(promptTitles(s, dm)).not.toContain("Summarize the thread I'm in");
    expect(s.slack.messages(dm)).toHaveLength(1);
    // Only ever the greeting was posted, and only in the DM.
    expect(posts(s).map((c) => c.params.channel)).toEqual([dm]);

    const redis = new Redis(inject('redisUrl'));
    try {
      const ttl = await redis.ttl(createKeys(s.prefix).userGreeted(s.driver.teamId, 'U1'));
      expect(ttl).toBeGreaterThan(86_000);
      expect(ttl).toBeLessThanOrEqual(86_400);
    } finally {
      redis.disconnect();
    }
  });

  it('uses the context the open event carries, and greets each user for themselves', async () => {
    const s = await start();
    await s.driver.homeOpened({ user: 'U2', tab: 'messages', viewing: { channel: 'C7', messageTs: '1.5' } });
    await s.driver.homeOpened({ user: 'U3', tab: 'messages' });
    const dm2 = s.driver.dmChannel('U2');
    const dm3 = s.driver.dmChannel('U3');
    await s.slack.waitFor(() => s.slack.suggestedPrompts(dm2) && s.slack.suggestedPrompts(dm3), 5_000);
    expect(promptTitles(s, dm2)).toContain("Summarize the thread I'm in");
    expect(promptTitles(s, dm3)).toContain('What did I ask you last?');
    expect(s.slack.messages(dm2)).toHaveLength(1);
    expect(s.slack.messages(dm3)).toHaveLength(1);
  });

  it('acknowledges a malformed context event and remembers nothing', async () => {
    const s = await start();
    const bad = await s.driver.event({ type: 'app_context_changed', user: 'not a user!', context: {} });
    const worse = await s.driver.event({ type: 'app_context_changed', user: 'U4', context: 'C42' });
    expect([bad.ack.status, worse.ack.status]).toEqual([200, 200]);
    await pause(300);
    expect(await remembered(s, 'U4')).toBeNull();
    expect(posts(s)).toHaveLength(0);
  });
});
