import { describe, expect, it } from 'vitest';
import { MESSAGE_MAX_CHARS } from '../../src/out/format.js';
import { feedbackBlock } from '../../src/out/views/feedback.js';
import { feedbackButtonsOf, type StoredMessage } from '../../standins/slack/index.js';
import { redisState, until } from '../support/redis-state.js';
import { answerIn, botReplies, notesIn, type Stack, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();
const hasButtons = (m: StoredMessage | undefined) => m !== undefined && feedbackButtonsOf(m) !== undefined;
/** An answer longer than one message: MAX_ANSWER_TOKENS lets the stand-in's filler run past it. */
const LONG = { env: { MAX_ANSWER_TOKENS: '4000' }, llm: { words: 2_400 } };

/** Every message the bot posted in a thread carries the buttons only where `expected` says. */
const buttonsWhere = (s: Stack, channel: string, threadTs: string) =>
  botReplies(s, channel, threadTs).map((m) => hasButtons(m));

describe('the feedback buttons on every answer', () => {
  it('close a streamed foreground answer (chat.stopStream blocks), linked to its request', async () => {
    // Slow enough that the answer starts streaming before it is complete.
    const s = await start({ llm: { tokensPerSecond: 30, words: 20 } });
    const db = redisState(s);
    // In a DM the thread has an assistant status, so the answer streams (no placeholder to edit).
    const { ts } = await s.driver.dm({ user: 'U1', text: 'what is a monad?' });
    const channel = s.driver.dmChannel('U1');
    const [answer] = await waitForReplies(s, channel, ts);
    const stop = await s.slack.waitForCall('chat.stopStream');
    expect(stop.params.blocks).toEqual([feedbackBlock()]);
    expect(hasButtons(answer)).toBe(true);
    expect(hasButtons(s.slack.message(channel, ts))).toBe(false);
    expect(await until(() => db.answerAt(channel, answer!.ts))).toBe(db.idOf(channel, ts));
  });

  it('end a posted answer, edited in place, on its last message only', async () => {
    const s = await start({ ...LONG, env: { ...LONG.env, NATIVE_STREAMING: 'false' } });
    const db = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C2', user: 'U2', text: 'tell me everything' });
    const replies = await s.slack.waitFor(() => {
      const r = botReplies(s, 'C2', ts);
      return r.length >= 2 && hasButtons(r.at(-1)) ? r : undefined;
    }, 10_000);
    expect(replies[0]!.text.length).toBeGreaterThan(MESSAGE_MAX_CHARS / 2);
    expect(buttonsWhere(s, 'C2', ts)).toEqual([...replies.slice(1).map(() => false), true]);
    expect(s.slack.calls('chat.startStream')).toHaveLength(0);
    expect(await until(() => db.answerAt('C2', replies.at(-1)!.ts))).toBe(db.idOf('C2', ts));
    expect(await db.answerAt('C2', replies[0]!.ts)).toBeUndefined();
  });

  it('are linked as soon as the answer is written, not after its session is settled', async () => {
    const s = await start({ env: { NATIVE_STREAMING: 'false' } });
    const db = redisState(s);
    // The call that takes the thread out of "is thinking…" after the post hangs for a while.
    const settling = {
      delayMs: 4_000,
      times: Infinity,
      match: (p: { status?: unknown }) => p.status !== 'is thinking…',
    };
    s.slack.failNext('assistant.threads.setStatus', settling);
    s.slack.failNext('agents.sessions.setStatus', settling);
    const { ts } = await s.driver.mention({ channel: 'C5', user: 'U5', text: 'a quick one' });
    const answer = await s.slack.waitFor(() => botReplies(s, 'C5', ts).find(hasButtons), 8_000);
    expect(await until(() => db.answerAt('C5', answer.ts), 2_000)).toBe(db.idOf('C5', ts));
  });

  it('end a background answer on its last posted message, and never a note', async () => {
    const s = await start(LONG);
    const db = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C3', user: 'U3', text: 'later a long report' });
    const answer = await s.slack.waitFor(
      () => s.slack.reactions('C3', ts).includes('white_check_mark') && botReplies(s, 'C3', ts),
      10_000,
    );
    // The queued note became the answer's first message: no note is left to carry buttons.
    expect(notesIn(s, 'C3', ts)).toEqual([]);
    expect(answer.length).toBeGreaterThanOrEqual(2);
    expect(answer.map(hasButtons)).toEqual([...answer.slice(1).map(() => false), true]);
    // The job's mark and the buttons are on the same, last, message.
    const marked = answerIn(s, 'C3', ts).filter((m) => m.metadata?.event_payload?.job_id !== undefined);
    expect(marked.map((m) => m.ts)).toEqual([answer.at(-1)!.ts]);
    expect(await until(() => db.answerAt('C3', answer.at(-1)!.ts))).toBe(db.idOf('C3', ts));
  });

  it('are not on an answer that failed entirely, but on the next one in its thread', async () => {
    const s = await start();
    const db = redisState(s);
    s.llm.failNext({ kind: 'insufficient_quota' }, 2);
    const fg = await s.driver.mention({ channel: 'C4', user: 'U4', text: 'will fail' });
    const [failed] = await waitForReplies(s, 'C4', fg.ts);
    expect(failed?.text).toMatch(/⚠️/);
    const bg = await s.driver.mention({ channel: 'C4', user: 'U4', text: 'later will fail too' });
    await s.slack.waitFor(() => s.slack.reactions('C4', bg.ts).includes('x'), 8_000);
    for (const thread of [fg.ts, bg.ts]) {
      expect(botReplies(s, 'C4', thread).some(hasButtons)).toBe(false);
      for (const m of botReplies(s, 'C4', thread)) expect(await db.answerAt('C4', m.ts)).toBeUndefined();
    }
    // Asked again in the thread, the answer has them, and only it.
    const again = await s.driver.message({ channel: 'C4', user: 'U4', text: 'try again', threadTs: fg.ts });
    await waitForReplies(s, 'C4', fg.ts, 2);
    expect(buttonsWhere(s, 'C4', fg.ts)).toEqual([false, true]);
    const answer = botReplies(s, 'C4', fg.ts)[1]!;
    expect(await until(() => db.answerAt('C4', answer.ts))).toBe(db.idOf('C4', again.ts));
  });
});
