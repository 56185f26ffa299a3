import { describe, expect, it } from 'vitest';
import { refusalText } from '../../src/overview/session-stop.js';
import type { RequestRecord } from '../../src/sessions/requests.js';
import { redisState, until } from '../support/redis-state.js';
import { botReplies, notesIn, pause, type Stack, useStack } from '../support/stack.js';

const start = useStack();

/** A slow answer: a stop lands while it streams. */
const SLOW = { ttftMs: 50, tokensPerSecond: 40, words: 400 };

/**
 * The statuses a thread's session was moved to, from the `from`-th change on, as Slack records
 * them: by agents.sessions.setStatus or by an answer's closing chat.stopStream (`session_status`).
 */
const statuses = (s: Stack, channel: string, threadTs: string, from = 0) =>
  s.slack.sessionHistory(channel, threadTs).slice(from);
const shownIn = (s: Stack, channel: string, threadTs: string) =>
  botReplies(s, channel, threadTs)
    .map((m) => m.text)
    .join('\n');
/** The bot has streamed some of the answer in the thread. */
const streaming = (s: Stack, channel: string, threadTs: string) =>
  s.slack.waitFor(
    () => botReplies(s, channel, threadTs).find((m) => m.stream === 'streaming' && m.text.length > 20),
    8_000,
    'a stream under way',
  );

describe('the stop button on a foreground answer', () => {
  it('stops the requester’s answer, keeps its text, says who stopped it and leaves processing', async () => {
    const s = await start({ llm: SLOW });
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'write me an essay' });
    const stream = await streaming(s, 'C1', ts);
    const mark = statuses(s, 'C1', ts).length;
    const d = await s.driver.sessionStopped({ channel: 'C1', threadTs: ts, user: 'U1' });
    expect(d.ack.status).toBe(200);

    const note = await s.slack.waitFor(() =>
      botReplies(s, 'C1', ts).find((m) => m.text.includes('Stopped by <@U1>')),
    );
    // Slack had stopped the stream: the note follows it, once, and nothing the user had not seen.
    expect(note.text).toBe('⏹️ Stopped by <@U1>.');
    expect(s.slack.message('C1', stream.ts)?.stream).toBe('stopped');
    expect(s.slack.message('C1', stream.ts)?.text.length).toBeGreaterThan(20);
    expect(s.slack.calls('chat.stopStream')).toHaveLength(0);
    expect(shownIn(s, 'C1', ts).match(/Stopped by/g)).toHaveLength(1);
    expect(await until(async () => (await state.record(state.idOf('C1', ts)))?.state === 'cancelled')).toBe(
      true,
    );
    await s.llm.waitFor(() => s.llm.requests()[0]?.outcome === 'client_closed');
    // Once, by the answer as it ends: the stop itself leaves that to it.
    await s.slack.waitFor(() => statuses(s, 'C1', ts, mark)[0]);
    await pause(200);
    expect(statuses(s, 'C1', ts, mark)).toEqual(['active']);
    expect(s.slack.ephemerals('C1')).toHaveLength(0);
  });

  it('refuses a stranger privately and changes nothing', async () => {
    const s = await start({ llm: { ...SLOW, words: 150 } });
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C2', user: 'UALICE', text: 'tell me a story' });
    await streaming(s, 'C2', ts);
    await s.driver.sessionStopped({ channel: 'C2', threadTs: ts, user: 'UMALLORY' });
    const eph = await s.slack.waitFor(() => s.slack.ephemerals('C2')[0]);
    expect(eph).toMatchObject({ user: 'UMALLORY', thread_ts: ts });
    expect(eph.text).toContain("<@UALICE>'s request");
    // The answer goes on to its end (Slack stopped the stream, so in a new message).
    await until(async () => (await state.record(state.idOf('C2', ts)))?.state === 'done', 15_000);
    expect(shownIn(s, 'C2', ts)).not.toContain('Stopped by');
    expect(s.llm.requests()[0]?.outcome).toBe('ok');
    // As for any answer no one stopped.
    expect(statuses(s, 'C2', ts)).toEqual(['processing', 'active']);
  });

  it('lets a workspace admin who has written in the thread stop someone else’s answer', async () => {
    const s = await start({ llm: SLOW, slack: { users: { UADMIN: { is_admin: true } } } });
    const state = redisState(s);
    const root = s.slack.addMessage({ channel: 'C3', user: 'UADMIN', text: 'Incident review, go ahead' });
    const { ts } = await s.driver.mention({
      channel: 'C3',
      user: 'UBOB',
      text: 'summarise everything',
      threadTs: root.ts,
    });
    await streaming(s, 'C3', root.ts);
    await s.driver.sessionStopped({ channel: 'C3', threadTs: root.ts, user: 'UADMIN' });
    await s.slack.waitFor(() => shownIn(s, 'C3', root.ts).includes('Stopped by <@UADMIN>'));
    await until(async () => (await state.record(state.idOf('C3', ts)))?.state === 'cancelled');
    expect(s.slack.ephemerals('C3')).toHaveLength(0);
  });

  it('refuses an admin who has not written in the thread', async () => {
    const s = await start({ llm: { ...SLOW, words: 120 }, slack: { users: { UOWNER: { is_owner: true } } } });
    const { ts } = await s.driver.mention({ channel: 'C4', user: 'UBOB', text: 'and another story' });
    await streaming(s, 'C4', ts);
    await s.driver.sessionStopped({ channel: 'C4', threadTs: ts, user: 'UOWNER' });
    const eph = await s.slack.waitFor(() => s.slack.ephemerals('C4')[0]);
    expect(eph.user).toBe('UOWNER');
    await pause(300);
    expect(shownIn(s, 'C4', ts)).not.toContain('Stopped by');
  });
});

describe('the stop button with nothing foreground to stop', () => {
  it('only moves the status when the answer has already finished', async () => {
    const s = await start();
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C5', user: 'U5', text: 'quick one' });
    await until(async () => (await state.record(state.idOf('C5', ts)))?.state === 'done');
    const before = botReplies(s, 'C5', ts).map((m) => m.text);
    const mark = statuses(s, 'C5', ts).length;
    await s.driver.sessionStopped({ channel: 'C5', threadTs: ts, user: 'U5' });
    await s.slack.waitFor(() => statuses(s, 'C5', ts, mark)[0]);
    expect(statuses(s, 'C5', ts, mark)).toEqual(['active']);
    await pause(200);
    expect(botReplies(s, 'C5', ts).map((m) => m.text)).toEqual(before);
    expect((await state.record(state.idOf('C5', ts)))?.state).toBe('done');
    expect(s.slack.ephemerals('C5')).toHaveLength(0);
  });

  it('removes a queued background job, with the badge and note of /ask cancel', async () => {
    // Web role only: nothing runs the job, so it stays queued.
    const s = await start({ role: 'web' });
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C6', user: 'U6', text: 'later a report' });
    await s.slack.waitFor(() => notesIn(s, 'C6', ts)[0]);
    await s.driver.sessionStopped({ channel: 'C6', threadTs: ts, user: 'U6' });
    await s.slack.waitFor(() => notesIn(s, 'C6', ts).find((m) => /Cancelled at <@U6>/.test(m.text)));
    await s.slack.waitFor(() => s.slack.reactions('C6', ts).join() === 'no_entry_sign');
    expect((await state.record(state.idOf('C6', ts)))?.state).toBe('cancelled');
    expect(await state.queued('U6')).toBe(0);
    // A background request shows no session of its own, so none is made just to say `active`.
    await pause(200);
    expect(s.slack.sessionStatus('C6', ts)).toBeUndefined();
    expect(s.slack.calls('agents.sessions.setStatus')).toHaveLength(0);
  });

  it('stops the clicker’s own work and keeps someone else’s going, saying so privately', async () => {
    const s = await start({ role: 'web' });
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C7', user: 'UANN', text: 'later first report' });
    const reply = await s.driver.mention({
      channel: 'C7',
      user: 'UBEN',
      text: 'later second report',
      threadTs: ts,
    });
    await until(async () => (await state.record(state.idOf('C7', reply.ts)))?.state === 'queued');
    const mark = statuses(s, 'C7', ts).length;
    await s.driver.sessionStopped({ channel: 'C7', threadTs: ts, user: 'UBEN' });
    const eph = await s.slack.waitFor(() => s.slack.ephemerals('C7')[0]);
    expect(eph.text).toBe(
      "I stopped your request. <@UANN>'s request keeps going: only they or a workspace admin who has written in this thread can stop it.",
    );
    expect((await state.record(state.idOf('C7', reply.ts)))?.state).toBe('cancelled');
    expect((await state.record(state.idOf('C7', ts)))?.state).toBe('queued');
    // Work still waits in the thread: it never goes `active` (and no session is made for it).
    await pause(200);
    expect(statuses(s, 'C7', ts, mark)).toEqual([]);
  });
});

describe('an admin’s stop of background work', () => {
  it('aborts someone else’s running job, and its note names the admin', async () => {
    const s = await start({
      llm: { ttftMs: 5_000 },
      slack: { users: { UADMIN: { is_owner: true } } },
    });
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C8', user: 'UCAROL', text: 'later a slow report' });
    await s.driver.message({ channel: 'C8', user: 'UADMIN', text: 'please stop that', threadTs: ts });
    await s.llm.waitForRequests(1);
    await until(async () => (await state.record(state.idOf('C8', ts)))?.state === 'running');
    await s.driver.sessionStopped({ channel: 'C8', threadTs: ts, user: 'UADMIN' });
    await s.slack.waitFor(() => notesIn(s, 'C8', ts).find((m) => /Cancelled at <@UADMIN>/.test(m.text)));
    await s.llm.waitFor(() => s.llm.requests()[0]?.outcome === 'client_closed');
    expect((await state.record(state.idOf('C8', ts)))?.state).toBe('cancelled');
  });
});

describe('a stop Slack sent malformed', () => {
  it('is acknowledged, stores nothing and stops nothing', async () => {
    const s = await start({ llm: { ...SLOW, words: 60 } });
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C9', user: 'U9', text: 'a short story' });
    await streaming(s, 'C9', ts);
    const bad = await s.driver.event({
      type: 'agent_session_stopped',
      channel: 'C9',
      user: 'U9',
      thread_ts: ts,
      streaming_message_ts: 'not a list',
    });
    expect(bad.ack.status).toBe(200);
    const huge = await s.driver.event({
      type: 'agent_session_stopped',
      channel: 'C9',
      user: 'U'.repeat(500),
    });
    expect(huge.ack.status).toBe(400);
    await until(async () => (await state.record(state.idOf('C9', ts)))?.state === 'done', 15_000);
    expect(s.logs.some((l) => l.includes('malformed agent_session_stopped ignored'))).toBe(true);
    expect(shownIn(s, 'C9', ts)).not.toContain('Stopped by');
    expect(statuses(s, 'C9', ts)).toEqual(['processing', 'active']);
  });
});

describe('the private refusal', () => {
  const rec = (userId: string) => ({ userId }) as RequestRecord;
  it('names whose work keeps going', () => {
    expect(refusalText([rec('UA')], false)).toBe(
      "<@UA>'s request keeps going: only they or a workspace admin who has written in this thread can stop it.",
    );
    expect(refusalText([rec('UA'), rec('UA')], true)).toBe(
      "I stopped your request. <@UA>'s requests keep going: only they or a workspace admin who has written in this thread can stop them.",
    );
    expect(refusalText([rec('UA'), rec('UB'), rec('UC')], false)).toMatch(
      /^The requests of <@UA>, <@UB> and <@UC> keep going: only those who asked or/,
    );
  });
});
