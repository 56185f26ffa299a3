import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ThrowawayRedis } from '../../standins/redis-server.js';
import { type BotProcess, startTestRedis } from '../support/processes.js';
import { answerText, deploy, fileStandins, uniqueId } from './helpers.js';

/**
 * Native agent sessions through the built bot as processes (`--role web` and `--role worker`): the
 * status history of a session as Slack records it, the Messages tab greeting, and the fallback of a
 * workspace without sessions, seen by both processes.
 */
let redis: ThrowawayRedis;
const { slack, openai } = await fileStandins({ text: answerText });

beforeAll(async () => {
  redis = await startTestRedis();
});

const deployAs = (name: string) => deploy({ slack, openai, redisUrl: redis.url, name });

const historyIs = (channel: string, ts: string, want: string[]) =>
  slack.waitFor(
    () => JSON.stringify(slack.sessionHistory(channel, ts)) === JSON.stringify(want),
    15_000,
    `session ${want.join(' → ')} (now ${slack.sessionHistory(channel, ts).join(' → ') || 'none'})`,
  );
const warnings = (...procs: BotProcess[]) =>
  procs.flatMap((p) => p.logs()).filter((l) => (l.level ?? 0) >= 40);

describe('agent sessions through real processes', () => {
  it('records a mention’s session (none for a queued one in a thread of its own), and greets on the Messages tab', {
    timeout: 60_000,
  }, async () => {
    const { web, worker, driver, keys } = await deployAs('sessions');
    const channel = uniqueId('C');
    const user = uniqueId('U');

    const mention = await driver.mention({ channel, user, text: 'what is a <!here> quorum?' });
    await historyIs(channel, mention.ts, ['processing', 'active']);
    const session = slack.sessionStatus(channel, mention.ts);
    expect(session?.initiator).toBe(user);
    expect(session?.title).toMatch(/^what is a .*quorum\?$/);
    expect(session?.title).not.toContain('<!here>');

    // A queued request in a thread of its own shows no session: its ⏳ note says where it is, and
    // becomes the answer.
    const later = await driver.mention({ channel, user, text: 'later write the retro notes' });
    await slack.waitFor(() => slack.reactions(channel, later.ts).includes('white_check_mark'), 15_000);
    expect(slack.sessionStatus(channel, later.ts)).toBeUndefined();

    await driver.contextChanged({ user, viewing: { channel } });
    // The context event and the tab's open are two intake jobs: the open comes once the context is in.
    const r = new Redis(redis.url);
    try {
      const key = keys.userContext(driver.teamId, user);
      for (let i = 0; i < 200 && !(await r.exists(key)); i++) await new Promise((ok) => setTimeout(ok, 50));
    } finally {
      r.disconnect();
    }
    await driver.homeOpened({ user, tab: 'messages' });
    const dm = driver.dmChannel(user);
    await slack.waitFor(() => slack.suggestedPrompts(dm), 10_000, 'suggested prompts');
    expect(slack.messages(dm).map((m) => m.text)).toEqual([expect.stringContaining(`Hi <@${user}>`)]);
    expect(slack.suggestedPrompts(dm)?.prompts.map((p) => p.title)).toContain("Summarize the thread I'm in");
    // Neither the context event nor the tab posted in the channel: the bot is only in its threads there.
    expect(slack.messages(channel).filter((m) => m.bot_id && m.thread_ts === undefined)).toEqual([]);
    expect(slack.calls('assistant.threads.setStatus')).toHaveLength(0);
    expect(warnings(web, worker)).toEqual([]);
  });

  it('falls back to the assistant status in a workspace without sessions, found out once for both processes', {
    timeout: 60_000,
  }, async () => {
    slack.withoutSessions('feature_not_enabled');
    try {
      const { web, worker, driver } = await deployAs('fallback');
      const channel = uniqueId('C');
      const user = uniqueId('U');
      const calls = () =>
        slack.calls().filter((c) => c.method.startsWith('agents.') && c.params.channel_id === channel);
      const statuses = () =>
        slack.calls('assistant.threads.setStatus').filter((c) => c.params.channel_id === channel);

      const first = await driver.mention({ channel, user, text: 'first question' });
      await slack.waitFor(() => statuses().some((c) => c.params.thread_ts === first.ts), 15_000);
      // A background answer sets no status at all (its note says it is queued), so the worker never asks.
      const later = await driver.mention({ channel, user, text: 'later second question' });
      await slack.waitFor(() => slack.reactions(channel, later.ts).includes('white_check_mark'), 15_000);
      expect(statuses().filter((c) => c.params.thread_ts === later.ts)).toEqual([]);
      // The web process found it out once, and remembers it in Redis for every process.
      const again = await driver.mention({ channel, user, text: 'third question' });
      await slack.waitFor(() => statuses().some((c) => c.params.thread_ts === again.ts), 15_000);
      expect(calls()).toHaveLength(1);
      const found = warnings(web, worker).filter((l) => l.msg?.includes('agent sessions unavailable'));
      expect(found).toHaveLength(1);
      expect(found[0]?.fields).toMatchObject({ slackError: 'feature_not_enabled' });
    } finally {
      slack.withoutSessions(false);
    }
  });
});
