import { type Logger, LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SlackApiStandin, startSlackApi } from '../../standins/slack/index.js';

let slack: SlackApiStandin;
let client: WebClient;

const quiet: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

beforeAll(async () => {
  slack = await startSlackApi();
  client = new WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: quiet,
  });
});
afterAll(() => slack.close());
beforeEach(() => slack.reset());

const slackError = async (call: Promise<unknown>): Promise<string | undefined> => {
  try {
    await call;
  } catch (err) {
    return (err as { data?: { error?: string } }).data?.error;
  }
  throw new Error('expected the call to fail');
};

describe('agents.sessions.setStatus and rename', () => {
  it('creates a thread’s session on first use (title and initiator only then) and records every change', async () => {
    const root = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q' });
    const reply = slack.addMessage({ channel: 'C1', user: 'U1', text: 'r', thread_ts: root.ts });
    const first = await client.agents.sessions.setStatus({
      channel_id: 'C1',
      thread_ts: root.ts,
      status: 'processing',
      title: 'First title',
      initiator_user_id: 'U1',
    });
    expect(first).toMatchObject({
      ok: true,
      status: 'processing',
      agent_status: 'processing',
      title: 'First title',
    });
    // Later titles are ignored; a reply's ts names its thread's session.
    await client.agents.sessions.setStatus({
      channel_id: 'C1',
      thread_ts: reply.ts,
      status: 'active',
      title: 'Ignored',
      initiator_user_id: 'U9',
    });
    // A post in the thread does not move a session.
    await client.chat.postMessage({ channel: 'C1', thread_ts: root.ts, text: 'answer' });
    expect(slack.sessionStatus('C1', root.ts)).toMatchObject({
      status: 'active',
      title: 'First title',
      initiator: 'U1',
    });
    await client.agents.sessions.rename({ channel_id: 'C1', thread_ts: root.ts, title: 'New title' });
    expect(slack.sessionStatus('C1', root.ts)?.title).toBe('New title');
    expect(slack.sessionHistory('C1', root.ts)).toEqual(['processing', 'active']);
    expect(slack.sessionStatus('C1', root.ts)?.history.map((c) => c.kind)).toEqual([
      'status',
      'status',
      'rename',
    ]);
  });

  it('answers with Slack’s errors', async () => {
    const root = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q' });
    const set = (args: Record<string, unknown>) =>
      slackError(
        client.agents.sessions.setStatus({
          channel_id: 'C1',
          thread_ts: root.ts,
          status: 'processing',
          ...args,
        } as never),
      );
    expect(await set({ status: 'thinking' })).toBe('invalid_arguments');
    expect(await set({ thread_ts: undefined })).toBe('invalid_arguments');
    expect(await set({ title: 'x'.repeat(201) })).toBe('invalid_arguments');
    slack.setChannel('C2', { unknown: true });
    expect(await set({ channel_id: 'C2' })).toBe('channel_not_found');
    expect(
      await slackError(client.agents.sessions.rename({ channel_id: 'C1', thread_ts: root.ts, title: 'T' })),
    ).toBe('session_not_found');
    await client.agents.sessions.setStatus({ channel_id: 'C1', thread_ts: root.ts, status: 'processing' });
    expect(
      await slackError(client.agents.sessions.rename({ channel_id: 'C1', thread_ts: root.ts, title: '' })),
    ).toBe('invalid_arguments');
    expect(slack.sessionHistory('C1', root.ts)).toEqual(['processing']);
  });

  it('can play a workspace without sessions, or an app without the stop-event subscription', async () => {
    const root = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q' });
    const args = { channel_id: 'C1', thread_ts: root.ts, status: 'processing' };
    for (const refusal of ['feature_not_enabled', 'not_allowed', 'unknown_method'] as const) {
      slack.withoutSessions(refusal);
      expect(await slackError(client.agents.sessions.setStatus(args))).toBe(refusal);
    }
    slack.withoutSessions(false);
    slack.warnMissingStopSubscription();
    const res = await client.agents.sessions.setStatus(args);
    expect(res.response_metadata?.warnings).toEqual(['missing_agent_session_stopped_event_subscription']);
    expect(slack.sessionHistory('C1', root.ts)).toEqual(['processing']);
  });
});

describe('assistant.threads.setSuggestedPrompts', () => {
  it('keeps up to four prompts per DM; with thread_ts an agent app’s call shows nothing', async () => {
    const prompts = [{ title: 'A', message: 'Ask A' }];
    await client.assistant.threads.setSuggestedPrompts({ channel_id: 'D1', prompts, title: 'Try' });
    expect(slack.suggestedPrompts('D1')).toMatchObject({ prompts, title: 'Try' });
    await client.assistant.threads.setSuggestedPrompts({
      channel_id: 'D2',
      thread_ts: '1.1',
      prompts,
    });
    expect(slack.suggestedPrompts('D2')).toBeUndefined();
    const five = Array.from({ length: 5 }, (_, i) => ({ title: `${i}`, message: `${i}` }));
    expect(
      await slackError(client.assistant.threads.setSuggestedPrompts({ channel_id: 'D1', prompts: five })),
    ).toBe('invalid_arguments');
    expect(
      await slackError(
        client.assistant.threads.setSuggestedPrompts({
          channel_id: 'D1',
          prompts: [{ title: 'x' }] as never,
        }),
      ),
    ).toBe('invalid_arguments');
  });
});
