import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createAgentSessions,
  memorySessionSupport,
  newTopic,
  SESSION_TITLE_MAX,
  sessionTitle,
} from '../../src/out/agent-session.js';
import { createStatusKeeper } from '../../src/out/status.js';
import { createSlackClient } from '../../src/out/web-client.js';
import { type SlackApiStandin, startSlackApi } from '../../standins/slack/index.js';
import { localCall } from '../support/budget.js';
import { testClock } from '../support/test-clock.js';
import { hostileText, liveSyntax } from './hostile.js';

const logger = pino({ level: 'silent' });
let slack: SlackApiStandin;
beforeAll(async () => {
  slack = await startSlackApi();
});
beforeEach(() => slack.reset());
afterAll(() => slack.close());

const thread = { teamId: 'T1', channelId: 'C1', threadTs: '1700000000.000100' };
const work = { title: 'A question', initiator: 'U1', status: 'is thinking…' };

const setup = () => {
  const clock = testClock({ auto: true });
  const client = createSlackClient({ token: 'xoxb-t', apiUrl: slack.apiUrl, logger, retries: 0 });
  const call = localCall();
  const status = createStatusKeeper({ client, call, logger, now: clock.now, sleep: clock.sleep });
  return createAgentSessions({ client, call, status, support: memorySessionSupport(), logger });
};

describe('session titles', () => {
  it('are one line of at most 200 characters that pings nobody and hides no link', () => {
    fc.assert(
      fc.property(hostileText(), (question) => {
        const title = sessionTitle(question);
        expect(Array.from(title).length).toBeLessThanOrEqual(SESSION_TITLE_MAX);
        expect(title).not.toMatch(/[\n\r\t]/);
        expect(title.length).toBeGreaterThan(0);
        expect(liveSyntax(title)).toEqual([]);
      }),
    );
    expect(sessionTitle('x'.repeat(500))).toBe(`${'x'.repeat(199)}…`);
    expect(sessionTitle('  \n ')).toBe('New question');
  });

  it('take the question after "new topic:", which only a message starting with it names', () => {
    expect(newTopic('New topic: the Q4 budget')).toBe('the Q4 budget');
    expect(newTopic('new topic:')).toBeUndefined();
    expect(newTopic('is this a new topic: maybe')).toBeUndefined();
    expect(sessionTitle('NEW TOPIC:   hiring plan\nfor 2027')).toBe('hiring plan for 2027');
  });
});

describe('agent sessions', () => {
  it('uses the assistant status for one call Slack refused for its own reasons, and tries sessions again next time', async () => {
    const sessions = setup();
    slack.failNext('agents.sessions.setStatus', { error: 'channel_not_found' });
    const first = await sessions.processing(thread, work);
    expect(first.shown).toBe(true);
    expect(slack.assistantStatus('C1', thread.threadTs)?.status).toBe('is thinking…');
    await first.end('active');
    expect(slack.assistantStatus('C1', thread.threadTs)).toBeUndefined();
    const second = await sessions.processing(thread, work);
    await second.end('active');
    expect(slack.sessionHistory('C1', thread.threadTs)).toEqual(['processing', 'active']);
  });

  it('does not wait out a 429 to show work (the status shows it), but does to end it', async () => {
    const sessions = setup();
    slack.failNext('agents.sessions.setStatus', { status: 429, retryAfter: 30 });
    const t0 = Date.now();
    const busy = await sessions.processing(thread, work);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(slack.assistantStatus('C1', thread.threadTs)?.status).toBe('is thinking…');
    await busy.end('active');
    // The 429 paused agents.sessions.setStatus for the whole workspace (Slack's limit is per
    // method); the rest of the test is a fresh process's, after that pause.
    const ok = await setup().processing({ ...thread, channelId: 'C2' }, work);
    slack.failNext('agents.sessions.setStatus', { status: 429, retryAfter: 1 });
    await ok.end('active');
    expect(slack.sessionHistory('C2', thread.threadTs)).toEqual(['processing', 'active']);
  });

  it('remembers a workspace without sessions, and moves nothing there', async () => {
    const sessions = setup();
    slack.withoutSessions('not_allowed');
    await (await sessions.processing(thread, work)).end('active');
    expect(await sessions.rename(thread, 'New')).toBe(false);
    expect(await sessions.setSessionStatus(thread, 'active')).toBe(false);
    expect(slack.calls().filter((c) => c.method.startsWith('agents.'))).toHaveLength(1);
    // Another workspace is asked for itself.
    expect(await sessions.setSessionStatus({ ...thread, teamId: 'T2' }, 'active')).toBe(false);
    expect(slack.calls().filter((c) => c.method.startsWith('agents.'))).toHaveLength(2);
  });

  it('moves a session `ifShown` only when it set one there in another status, and never creates one for it', async () => {
    const sessions = setup();
    // No session in the thread: nothing to settle, no call (it would only create one).
    expect(await sessions.setSessionStatus(thread, 'active', { ifShown: true })).toBe(false);
    expect(slack.calls('agents.sessions.setStatus')).toHaveLength(0);
    await (await sessions.processing(thread, work)).end('suspended');
    // `active` from `suspended` changes what the user sees; `active` again would not.
    expect(await sessions.setSessionStatus(thread, 'active', { ifShown: true })).toBe(true);
    expect(await sessions.setSessionStatus(thread, 'active', { ifShown: true })).toBe(false);
    expect(slack.sessionHistory('C1', thread.threadTs)).toEqual(['processing', 'suspended', 'active']);
  });

  it('ends work moved by its own stream without a call, remembering where it is', async () => {
    const sessions = setup();
    const w = await sessions.processing(thread, work);
    expect(w.session).toBe(true);
    await w.end('active', { byStream: true });
    expect(slack.sessionHistory('C1', thread.threadTs)).toEqual(['processing']);
    // Known `active`: settling it there again sends nothing.
    expect(await sessions.setSessionStatus(thread, 'active', { ifShown: true })).toBe(false);
    expect(slack.calls('agents.sessions.setStatus')).toHaveLength(1);
  });
});
