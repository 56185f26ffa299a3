import { describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/out/views/actions.js';
import { answerIn, pause, type Stack, useStack } from '../support/stack.js';

const start = useStack();
const homeText = (s: Stack, user: string) => JSON.stringify(s.slack.homeView(user)?.blocks ?? []);
/** The Home header's unread count (📬 *n* unread). */
const unread = (s: Stack, user: string) => Number(/📬 \*(\d+)\* unread/.exec(homeText(s, user))?.[1] ?? 0);
/** The request id the bot gives a message: team, channel, ts. */
const requestId = (channel: string, ts: string) => `T0TEAM:${channel}:${ts}`;

/** A user asks `later …` and the worker answers it. */
const backgroundAnswer = async (s: Stack, channel: string, user: string, text: string) => {
  // A user who has opened the Home tab before: only theirs is kept up to date.
  await s.driver.homeOpened({ user });
  await s.slack.waitFor(() => s.slack.homeView(user));
  const { ts } = await s.driver.mention({ channel, user, text: `later ${text}` });
  await s.slack.waitFor(() => answerIn(s, channel, ts)[0], 8_000);
  return ts;
};

describe('App Home', () => {
  it('is re-published on changes only for users who have opened it', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '50' } });
    const { ts } = await s.driver.mention({ channel: 'C0', user: 'UNEVER', text: 'later not watching' });
    await s.slack.waitFor(() => answerIn(s, 'C0', ts)[0], 8_000);
    await pause(300);
    expect(s.slack.calls('views.publish')).toHaveLength(0);
  });

  it('teaches a new user how to start', async () => {
    const s = await start();
    await s.driver.homeOpened({ user: 'UNEW' });
    const view = await s.slack.waitFor(() => s.slack.homeView('UNEW'));
    const text = JSON.stringify(view);
    expect(text).toContain('/ask later');
    expect(text).toMatch(/DM/);
  });

  it('shows a finished background result with 📬, re-published by the worker, and View result clears the mark', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '100' } });
    const ts = await backgroundAnswer(s, 'C1', 'UA', 'summarise the roadmap');
    await s.slack.waitFor(() => unread(s, 'UA') === 1, 5_000);
    expect(homeText(s, 'UA')).toContain('summarise the roadmap');

    await s.driver.blockAction({
      user: 'UA',
      actionId: ACTION_IDS.viewResult,
      value: requestId('C1', ts),
      container: 'view',
    });
    const open = await s.slack.waitForCall('views.open');
    expect(JSON.stringify(open.params.view)).toContain('summarise the roadmap');
    expect(JSON.stringify(open.params.view)).toContain('[messages=');
    await s.slack.waitFor(() => unread(s, 'UA') === 0, 5_000);
  });

  it('clears the mark with Mark read, and when the requester replies in the thread', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '100' } });
    const first = await backgroundAnswer(s, 'C2', 'UB', 'first job');
    await s.slack.waitFor(() => unread(s, 'UB') === 1, 5_000);
    await s.driver.blockAction({
      user: 'UB',
      actionId: ACTION_IDS.markRead,
      value: requestId('C2', first),
      container: 'view',
    });
    await s.slack.waitFor(() => unread(s, 'UB') === 0, 5_000);

    const second = await backgroundAnswer(s, 'C2', 'UB', 'second job');
    await s.slack.waitFor(() => unread(s, 'UB') === 1, 5_000);
    await s.driver.message({ channel: 'C2', user: 'UB', text: 'thanks!', threadTs: second });
    await s.slack.waitFor(() => unread(s, 'UB') === 0, 5_000);
  });

  it('clears the mark when Open thread is clicked', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '100' } });
    const ts = await backgroundAnswer(s, 'C9', 'UG', 'open my thread');
    await s.slack.waitFor(() => unread(s, 'UG') === 1, 5_000);
    await s.driver.blockAction({
      user: 'UG',
      actionId: ACTION_IDS.openThread,
      value: requestId('C9', ts),
      container: 'view',
    });
    await s.slack.waitFor(() => unread(s, 'UG') === 0, 5_000);
  });

  it('does not clear the mark just because the Home tab was opened', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '100' } });
    await backgroundAnswer(s, 'C3', 'UC', 'a job');
    await s.slack.waitFor(() => unread(s, 'UC') === 1, 5_000);
    await s.driver.homeOpened({ user: 'UC' });
    await pause(500);
    expect(unread(s, 'UC')).toBe(1);
  });

  it('refuses a forged action on someone else’s request and changes nothing', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '100' } });
    const ts = await backgroundAnswer(s, 'C4', 'UALICE', 'alice secret plan');
    await s.slack.waitFor(() => unread(s, 'UALICE') === 1, 5_000);
    for (const actionId of [
      ACTION_IDS.viewResult,
      ACTION_IDS.markRead,
      ACTION_IDS.cancel,
      ACTION_IDS.retry,
    ]) {
      await s.driver.blockAction({
        user: 'UMALLORY',
        actionId,
        value: requestId('C4', ts),
        container: 'view',
      });
    }
    const refusals = await s.slack.waitFor(() => {
      const dms = s.slack.calls('chat.postMessage').filter((c) => c.params.channel === 'UMALLORY');
      return dms.length === 4 ? dms : undefined;
    });
    for (const r of refusals) expect(String(r.params.text)).toMatch(/isn't yours/);
    expect(s.slack.calls('views.open')).toHaveLength(0);
    await pause(300);
    expect(unread(s, 'UALICE')).toBe(1);
    expect(homeText(s, 'UMALLORY')).not.toContain('alice secret plan');
  });

  it('shows two users in one thread only their own requests', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '100' } });
    const root = await backgroundAnswer(s, 'C5', 'UONE', 'question from one');
    await s.driver.mention({ channel: 'C5', user: 'UTWO', text: 'later question from two', threadTs: root });
    await s.slack.waitFor(() => answerIn(s, 'C5', root).length === 2, 8_000);
    await s.driver.homeOpened({ user: 'UONE' });
    await s.driver.homeOpened({ user: 'UTWO' });
    await s.slack.waitFor(() => homeText(s, 'UTWO').includes('question from two'), 5_000);
    await s.slack.waitFor(() => homeText(s, 'UONE').includes('question from one'), 5_000);
    expect(homeText(s, 'UONE')).not.toContain('question from two');
    expect(homeText(s, 'UTWO')).not.toContain('question from one');
  });

  it('cancels a queued request with its Cancel button, and retries a failed one', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '100' } });
    s.llm.failNext({ kind: 'insufficient_quota' });
    await s.driver.homeOpened({ user: 'UD' });
    const { ts } = await s.driver.mention({ channel: 'C6', user: 'UD', text: 'later will fail once' });
    await s.slack.waitFor(() => s.slack.reactions('C6', ts).join() === 'x', 8_000);
    await s.slack.waitFor(() => homeText(s, 'UD').includes(ACTION_IDS.retry), 5_000);
    await s.driver.blockAction({
      user: 'UD',
      actionId: ACTION_IDS.retry,
      value: requestId('C6', ts),
      container: 'view',
    });
    await s.slack.waitFor(() => answerIn(s, 'C6', ts)[0], 8_000);
    await s.slack.waitFor(() => s.slack.reactions('C6', ts).join() === 'white_check_mark');
    expect(s.slack.reactions('C6', ts)).toEqual(['white_check_mark']);
    // Each run: one note, edited into how it ended, and one badge; the retry takes off the ❌ it
    // knows is there, and nothing else.
    const writes = s.slack
      .calls()
      .filter((c) => /^(chat|reactions|agents)\./.test(c.method) && c.params.channel === 'C6')
      .map((c) => (c.method.startsWith('reactions.') ? `${c.method} ${String(c.params.name)}` : c.method));
    expect(writes).toEqual([
      'chat.postMessage',
      'chat.update',
      'reactions.add x',
      'reactions.remove x',
      'chat.postMessage',
      'chat.update',
      'reactions.add white_check_mark',
    ]);
  });

  it('lists sessions privately with /ask sessions', async () => {
    const s = await start();
    await backgroundAnswer(s, 'C7', 'UE', 'listed job');
    const { responseId } = await s.driver.command({ text: 'sessions', user: 'UE', channel: 'C7' });
    const response = await s.slack.waitFor(() => s.slack.responses(responseId)[0]);
    expect(JSON.stringify(response)).toContain('listed job');
    expect(JSON.stringify(response)).toContain('ephemeral');
  });

  it('sends a DM when a result is ready, for users who turned it on', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '100' } });
    await s.driver.homeOpened({ user: 'UF' });
    await s.slack.waitFor(() => s.slack.homeView('UF'));
    await s.driver.blockAction({ user: 'UF', actionId: ACTION_IDS.toggleDm, value: 'on', container: 'view' });
    await s.slack.waitFor(() => homeText(s, 'UF').includes('"off"'), 5_000);
    await backgroundAnswer(s, 'C8', 'UF', 'dm me');
    const dm = await s.slack.waitFor(() =>
      s.slack.calls('chat.postMessage').find((c) => c.params.channel === 'UF'),
    );
    expect(String(dm.params.text)).toContain('dm me');
  });
});
