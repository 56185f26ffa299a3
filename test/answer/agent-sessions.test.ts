import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { WORD_JOINER } from '../../src/out/neutralize.js';
import { PLACEHOLDER_TEXT } from '../../src/out/poster.js';
import { createKeys } from '../../src/sessions/keys.js';
import { addInstance, answerIn, pause, type Stack, useStack, waitForReplies } from '../support/stack.js';

/**
 * A foreground answer is a native agent session in its thread, as Slack records it (the stand-in
 * keeps each session's status, title and every change): `processing` → `active`, the `active`
 * carried by the answer's closing chat.stopStream when it streamed. A background answer sets no
 * status of its own: it only settles a session already shown in its thread. A workspace without
 * sessions falls back to the assistant thread status.
 */
const start = useStack();

const sessionCalls = (s: Stack) => s.slack.calls().filter((c) => c.method.startsWith('agents.sessions.'));
const waitForHistory = (s: Stack, channel: string, ts: string, history: string[], ms = 10_000) =>
  s.slack.waitFor(
    () => JSON.stringify(s.slack.sessionHistory(channel, ts)) === JSON.stringify(history),
    ms,
    `session history ${history.join(' → ')} (now ${s.slack.sessionHistory(channel, ts).join(' → ')})`,
  );
const fallbackLogs = (s: Stack) =>
  s.logs.filter((l) => l.includes('agent sessions unavailable in this workspace'));

describe('a foreground answer', () => {
  it('is a session: processing with a title from the question and its asker, then active', async () => {
    const s = await start();
    const { ts } = await s.driver.mention({
      channel: 'C1',
      user: 'U1',
      text: 'why is\nthe <!channel> sky [blue](https://evil.example)?',
    });
    await waitForReplies(s, 'C1', ts);
    await waitForHistory(s, 'C1', ts, ['processing', 'active']);
    const session = s.slack.sessionStatus('C1', ts);
    expect(session?.initiator).toBe('U1');
    // One line, no live broadcast, no hidden link.
    expect(session?.title).not.toMatch(/\n|<!channel>|\]\(/);
    expect(session?.title).toContain('why is the');
    expect(session?.title).toContain('blue (https://evil.example)');
    // The session shows the work: no assistant status, no placeholder.
    expect(s.slack.calls('assistant.threads.setStatus')).toHaveLength(0);
    expect(s.slack.calls('chat.postMessage').map((c) => c.params.text)).not.toContain(PLACEHOLDER_TEXT);
    // Two calls for the whole answer: nothing keeps a session status alive.
    expect(sessionCalls(s).map((c) => c.params.status)).toEqual(['processing', 'active']);
  });

  it('keeps the first title for a follow-up, and retitles on "new topic:"', async () => {
    const s = await start();
    const { ts } = await s.driver.mention({ channel: 'C2', user: 'U2', text: 'plan the offsite agenda' });
    await waitForReplies(s, 'C2', ts);
    await s.driver.message({ channel: 'C2', user: 'U2', text: 'add a hike on day two', threadTs: ts });
    await waitForReplies(s, 'C2', ts, 2);
    await waitForHistory(s, 'C2', ts, ['processing', 'active', 'processing', 'active']);
    expect(s.slack.sessionStatus('C2', ts)?.title).toBe('plan the offsite agenda');
    expect(s.slack.calls('agents.sessions.rename')).toHaveLength(0);

    await s.driver.message({
      channel: 'C2',
      user: 'U2',
      text: 'New topic: budget for @here travel',
      threadTs: ts,
    });
    await waitForReplies(s, 'C2', ts, 3);
    await waitForHistory(s, 'C2', ts, [
      'processing',
      'active',
      'processing',
      'active',
      'processing',
      'active',
    ]);
    expect(s.slack.calls('agents.sessions.rename')).toHaveLength(1);
    expect(s.slack.sessionStatus('C2', ts)?.title).toBe(`budget for @${WORD_JOINER}here travel`);
  });

  it('streams and ends its session in the stream’s last call: three Slack writes, appends aside', async () => {
    const s = await start({ llm: { tokensPerSecond: 40, words: 30 } });
    const { ts } = await s.driver.mention({ channel: 'C9', user: 'U9', text: 'stream me an answer' });
    await waitForReplies(s, 'C9', ts);
    await waitForHistory(s, 'C9', ts, ['processing', 'active']);
    const writes = s.slack
      .calls()
      .filter(
        (c) => c.method !== 'chat.appendStream' && /^(chat|reactions|agents|assistant)\./.test(c.method),
      )
      .map((c) => `${c.method}${c.params.status ? ` ${c.params.status}` : ''}`);
    expect(writes).toEqual(['agents.sessions.setStatus processing', 'chat.startStream', 'chat.stopStream']);
    expect(s.slack.calls('chat.stopStream')[0]?.params.session_status).toBe('active');
  });

  it('ends active after a failure too', async () => {
    const s = await start({ env: { LLM_MAX_RETRIES: '0' } });
    s.llm.failNext({ kind: 'insufficient_quota' });
    const { ts } = await s.driver.mention({ channel: 'C3', user: 'U3', text: 'this will fail' });
    await waitForReplies(s, 'C3', ts);
    await waitForHistory(s, 'C3', ts, ['processing', 'active']);
  });
});

describe('a background answer', () => {
  it('sets no session status of its own in a thread without one', async () => {
    const s = await start({ role: 'web' });
    const { ts } = await s.driver.mention({ channel: 'C4', user: 'U4', text: 'later summarise the Q3 plan' });
    // Its note is up (the question and the note); no worker yet.
    await s.slack.waitFor(() => s.slack.messages('C4', ts).length === 2);
    await addInstance(s, 'worker');
    await s.slack.waitFor(() => answerIn(s, 'C4', ts)[0], 10_000);
    await s.slack.waitFor(() => s.slack.reactions('C4', ts).includes('white_check_mark'));
    expect(sessionCalls(s)).toHaveLength(0);
    expect(s.slack.sessionStatus('C4', ts)).toBeUndefined();
    expect(s.slack.calls('assistant.threads.setStatus')).toHaveLength(0);
  });

  it('settles a session shown in its thread: suspended by a foreground answer while it waited, active when it is done', async () => {
    const s = await start({ role: 'web' });
    const { ts } = await s.driver.mention({ channel: 'C5', user: 'U5', text: 'later the budget' });
    await s.slack.waitFor(() => s.slack.messages('C5', ts).length === 2);
    // A foreground answer in the same thread shows a session, and leaves it `suspended`: the
    // background request still waits there.
    await s.driver.message({ channel: 'C5', user: 'U5', text: 'and the venue?', threadTs: ts });
    await waitForHistory(s, 'C5', ts, ['processing', 'suspended']);
    await addInstance(s, 'worker');
    await s.slack.waitFor(() => s.slack.reactions('C5', ts).includes('white_check_mark'), 10_000);
    await waitForHistory(s, 'C5', ts, ['processing', 'suspended', 'active']);
    await pause(300);
    expect(s.slack.sessionHistory('C5', ts)).toEqual(['processing', 'suspended', 'active']);
  });
});

describe('a workspace without sessions', () => {
  it('falls back to the assistant status, caches that in Redis for every process, and logs it once', async () => {
    const s = await start();
    s.slack.withoutSessions('feature_not_enabled');
    const first = await s.driver.mention({ channel: 'C6', user: 'U6', text: 'first question' });
    await waitForReplies(s, 'C6', first.ts);
    const second = await s.driver.mention({ channel: 'C6', user: 'U6', text: 'second question' });
    await waitForReplies(s, 'C6', second.ts);

    // One refused call found it out; after that, no session call at all.
    expect(sessionCalls(s)).toHaveLength(1);
    expect(sessionCalls(s)[0]?.response).toMatchObject({ ok: false, error: 'feature_not_enabled' });
    const statuses = s.slack.calls('assistant.threads.setStatus').map((c) => c.params.status);
    expect(statuses.filter((t) => t === 'is thinking…')).toHaveLength(2);
    expect(s.slack.sessionStatus('C6', first.ts)).toBeUndefined();
    expect(fallbackLogs(s)).toHaveLength(1);

    const redis = new Redis(inject('redisUrl'));
    try {
      const key = createKeys(s.prefix).sessionsFallback(s.driver.teamId);
      expect(await redis.get(key)).toBe('feature_not_enabled');
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(3_600);
    } finally {
      redis.disconnect();
    }
  });

  it('answers in the background with no status call at all (Slack without the methods): the note says it is queued', async () => {
    const s = await start();
    s.slack.withoutSessions('unknown_method');
    const { ts } = await s.driver.mention({ channel: 'C7', user: 'U7', text: 'later a long one' });
    await s.slack.waitFor(() => answerIn(s, 'C7', ts)[0], 10_000);
    expect(s.slack.calls('assistant.threads.setStatus')).toHaveLength(0);
    expect(sessionCalls(s)).toHaveLength(0);
  });

  it('still uses sessions when only the stop-event subscription is missing, and says so once', async () => {
    const s = await start();
    s.slack.warnMissingStopSubscription();
    const first = await s.driver.mention({ channel: 'C8', user: 'U8', text: 'one' });
    await waitForReplies(s, 'C8', first.ts);
    const second = await s.driver.mention({ channel: 'C8', user: 'U8', text: 'two' });
    await waitForReplies(s, 'C8', second.ts);
    await waitForHistory(s, 'C8', second.ts, ['processing', 'active']);
    expect(s.slack.sessionHistory('C8', first.ts)).toEqual(['processing', 'active']);
    // Said once, by us; the WebClient's own warning on every call is kept below warn.
    const warns = s.logs.filter((l) => l.includes('"level":40') && l.includes('agent_session_stopped'));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toContain('show no stop button');
    expect(fallbackLogs(s)).toHaveLength(0);
  });
});
