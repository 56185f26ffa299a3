import { describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/out/views/actions.js';
import { FEEDBACK_IDS } from '../../src/out/views/feedback.js';
import { createKeys } from '../../src/sessions/keys.js';
import { type Ephemeral, feedbackButtonsOf } from '../../standins/slack/index.js';
import { redisState, until } from '../support/redis-state.js';
import { botReplies, pause, type Stack, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();

/** `user` asks in `channel`; resolves with the request's thread and its answer's last message. */
const answered = async (s: Stack, channel: string, user: string, text: string) => {
  const { ts } = await s.driver.mention({ channel, user, text });
  await waitForReplies(s, channel, ts);
  const answer = await s.slack.waitFor(() => botReplies(s, channel, ts).find((m) => feedbackButtonsOf(m)));
  const db = redisState(s);
  // The link from the message to its request is written just after the message is posted.
  await until(() => db.answerAt(channel, answer.ts));
  return { ts, answerTs: answer.ts, id: db.idOf(channel, ts) };
};

const thanksTo = (s: Stack, user: string): Ephemeral[] =>
  s.slack.ephemerals().filter((e) => e.user === user && JSON.stringify(e.blocks).includes(FEEDBACK_IDS.more));

const metricsText = async (s: Stack) => (await fetch(`http://127.0.0.1:${s.bot.port}/metrics`)).text();
const metric = (text: string, name: string, value: string) =>
  Number(new RegExp(`^${name}\\{value="${value}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);

describe('a 👍/👎 click on an answer', () => {
  it('is stored once per user, a second click replacing the first, thanked privately in the thread, and counted in /metrics', async () => {
    const s = await start();
    const db = redisState(s);
    const a = await answered(s, 'C1', 'U1', 'what is a monad?');
    const click = (user: string, vote: 'positive' | 'negative') =>
      s.driver.feedback({ user, channel: 'C1', messageTs: a.answerTs, vote });

    expect((await click('U2', 'positive')).ack.status).toBe(200);
    await click('U2', 'positive');
    await click('U3', 'negative');
    await s.slack.waitFor(() => thanksTo(s, 'U2').length === 2 && thanksTo(s, 'U3').length === 1);
    expect(await db.ratings(a.id)).toEqual({ 'vote:U2': 'positive', 'vote:U3': 'negative' });
    expect((await db.record(a.id))?.feedback).toEqual({ positive: 1, negative: 1 });

    await click('U2', 'negative');
    await s.slack.waitFor(() => thanksTo(s, 'U2').length === 3);
    expect(await db.ratings(a.id)).toEqual({ 'vote:U2': 'negative', 'vote:U3': 'negative' });
    expect((await db.record(a.id))?.feedback).toEqual({ positive: 0, negative: 2 });

    const thanks = thanksTo(s, 'U2').at(-1);
    expect(thanks).toMatchObject({ channel: 'C1', thread_ts: a.ts });
    expect(thanks?.text).toContain('👎');

    // First ratings count once each; the change is counted apart, so nothing counts twice.
    const text = await metricsText(s);
    expect(metric(text, 'backchannel_feedback_total', 'positive')).toBe(1);
    expect(metric(text, 'backchannel_feedback_total', 'negative')).toBe(1);
    expect(metric(text, 'backchannel_feedback_changes_total', 'negative')).toBe(1);
    expect(metric(text, 'backchannel_feedback_changes_total', 'positive')).toBe(0);
  });

  it('on a message that is not one of our answers changes nothing, with a log line', async () => {
    // Web role only: the queued note stays a note (no worker turns it into the answer).
    const s = await start({ role: 'web' });
    const db = redisState(s);
    const a = await answered(s, 'C2', 'U1', 'hello there');
    // The user's own question, and a bot note: neither is an answer.
    const forged = { force: true, actionId: FEEDBACK_IDS.vote };
    await s.driver.feedback({ user: 'U2', channel: 'C2', messageTs: a.ts, vote: 'positive', ...forged });
    const { ts: queued } = await s.driver.mention({ channel: 'C2', user: 'U1', text: 'later something' });
    const note = await s.slack.waitFor(() =>
      botReplies(s, 'C2', queued).find((m) => m.metadata?.event_type === 'backchannel_note'),
    );
    await s.driver.feedback({ user: 'U2', channel: 'C2', messageTs: note.ts, vote: 'negative', ...forged });
    await until(async () => s.logs.filter((l) => l.includes('not one of our answers')).length === 2);
    expect(await db.redis.keys(`${s.prefix}:req:*:feedback`)).toEqual([]);
    expect(thanksTo(s, 'U2')).toEqual([]);
    expect((await db.record(a.id))?.feedback).toBeUndefined();
  });

  it('counts a click that lands between the buttons showing and the answer’s link being written', async () => {
    const s = await start();
    const db = redisState(s);
    const a = await answered(s, 'C4', 'U1', 'quick question');
    const link = createKeys(s.prefix).answerMessage('C4', a.answerTs);
    // As if the click came the moment the buttons showed: the link is written half a second later.
    await db.redis.del(link);
    await s.driver.feedback({ user: 'U2', channel: 'C4', messageTs: a.answerTs, vote: 'positive' });
    await pause(500);
    await db.redis.set(link, a.id);
    await s.slack.waitFor(() => thanksTo(s, 'U2').length === 1);
    expect(await db.ratings(a.id)).toEqual({ 'vote:U2': 'positive' });
  });

  it('counts for the answer it is on, or for nothing: a forged value never reaches another request', async () => {
    const s = await start();
    const db = redisState(s);
    const a = await answered(s, 'C3', 'U1', 'first question');
    const b = await answered(s, 'C3', 'U4', 'second question');
    for (const value of [b.id, `positive:${b.id}`, JSON.stringify({ request: b.id, vote: 'positive' })])
      await s.driver.feedback({ user: 'U5', channel: 'C3', messageTs: a.answerTs, vote: 'positive', value });
    await until(async () => s.logs.filter((l) => l.includes('value we never sent')).length === 3);
    expect(await db.ratings(a.id)).toEqual({});
    expect(await db.ratings(b.id)).toEqual({});
    // The real button on A counts for A, whatever else the payload says.
    await s.driver.feedback({ user: 'U5', channel: 'C3', messageTs: a.answerTs, vote: 'positive' });
    await until(async () => (await db.ratings(a.id))['vote:U5'] === 'positive');
    expect(await db.ratings(b.id)).toEqual({});
  });
});

describe('Tell us more', () => {
  it('opens a modal on the thank-you’s own trigger, and stores the comment with the rating, capped at 1,000', async () => {
    const s = await start();
    const db = redisState(s);
    const a = await answered(s, 'C4', 'U1', 'explain closures');
    await s.driver.feedback({ user: 'U2', channel: 'C4', messageTs: a.answerTs, vote: 'negative' });
    const thanks = await s.slack.waitFor(() => thanksTo(s, 'U2')[0]);
    const { triggerId } = await s.driver.ephemeralAction(thanks, FEEDBACK_IDS.more);
    const open = await s.slack.waitForCall('views.open');
    expect(open.params.trigger_id).toBe(triggerId);
    const [modal] = s.slack.modals(FEEDBACK_IDS.modal);
    expect(modal?.private_metadata).toBe(a.id);

    const values = { [FEEDBACK_IDS.commentBlock]: { [FEEDBACK_IDS.commentInput]: `${'w'.repeat(1_400)}!` } };
    const submitted = await s.driver.submitView({ user: 'U2', view: modal!, values });
    expect(submitted.ack.status).toBe(200);
    const comment = await until(async () => (await db.ratings(a.id))['comment:U2']);
    expect(comment).toBe('w'.repeat(1_000));
    expect((await db.ratings(a.id))['vote:U2']).toBe('negative');
  });

  it('lets nobody comment on an answer they did not rate, through the modal or its button', async () => {
    const s = await start();
    const db = redisState(s);
    const a = await answered(s, 'C5', 'U1', 'explain monads');
    await s.driver.feedback({ user: 'U2', channel: 'C5', messageTs: a.answerTs, vote: 'positive' });
    const thanks = await s.slack.waitFor(() => thanksTo(s, 'U2')[0]);
    await s.driver.ephemeralAction(thanks, FEEDBACK_IDS.more);
    await s.slack.waitForCall('views.open');
    const [modal] = s.slack.modals(FEEDBACK_IDS.modal);

    // Mallory submits the same modal (its private_metadata names the request), and clicks the button.
    const values = { [FEEDBACK_IDS.commentBlock]: { [FEEDBACK_IDS.commentInput]: 'forged comment' } };
    await s.driver.submitView({ user: 'UMALLORY', view: modal!, values });
    const { responseUrl } = await s.driver.ephemeralAction(
      { ...thanks, user: 'UMALLORY' },
      FEEDBACK_IDS.more,
    );
    const told = await s.slack.waitFor(() => s.slack.responses().find((r) => responseUrl.endsWith(r.id)));
    expect(String(told.body.text)).toMatch(/no longer have your rating/);
    await until(async () => s.logs.some((l) => l.includes('feedback comment refused')));
    await pause(200);
    expect(await db.ratings(a.id)).toEqual({ 'vote:U2': 'positive' });
    expect(s.slack.calls('views.open')).toHaveLength(1);
  });
});

describe('the ratings where results show', () => {
  it('are counted per session on the requester’s Home, and listed with comments in the result modal', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '50' } });
    await s.driver.homeOpened({ user: 'U1' });
    const a = await answered(s, 'C6', 'U1', 'what is a functor?');
    await s.driver.feedback({ user: 'URATER2', channel: 'C6', messageTs: a.answerTs, vote: 'positive' });
    await s.driver.feedback({ user: 'URATER3', channel: 'C6', messageTs: a.answerTs, vote: 'negative' });
    const thanks = await s.slack.waitFor(() => thanksTo(s, 'URATER3')[0]);
    await s.driver.ephemeralAction(thanks, FEEDBACK_IDS.more);
    await s.slack.waitForCall('views.open');
    const [modal] = s.slack.modals(FEEDBACK_IDS.modal);
    const values = {
      [FEEDBACK_IDS.commentBlock]: { [FEEDBACK_IDS.commentInput]: 'It missed <!channel> laws' },
    };
    await s.driver.submitView({ user: 'URATER3', view: modal!, values });
    const db = redisState(s);
    await until(async () => (await db.ratings(a.id))['comment:URATER3']);

    const home = await s.slack.waitFor(() => {
      const text = JSON.stringify(s.slack.homeView('U1')?.blocks ?? []);
      return text.includes('👍 1 · 👎 1') ? text : undefined;
    });
    expect(home).toContain(ACTION_IDS.viewResult);

    // A foreground answer has its result too: the requester's View result shows the ratings.
    await s.driver.blockAction({
      user: 'U1',
      actionId: ACTION_IDS.viewResult,
      value: a.id,
      container: 'view',
    });
    const open = await s.slack.waitForCall('views.open', (c) =>
      JSON.stringify(c.params).includes('bc_result_modal'),
    );
    const view = JSON.stringify(open.params.view);
    expect(view).toContain('*Feedback:* 👍 1 · 👎 1');
    expect(view).toContain('<@URATER3>');
    expect(view).toContain('It missed');
    expect(view).not.toContain('<!channel>');
  });
});
