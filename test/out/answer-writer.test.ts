import { WebAPIPlatformError, type WebClient } from '@slack/web-api';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ThreadTarget } from '../../src/core/domain.js';
import { PLACEHOLDER_TEXT } from '../../src/out/answer-messages.js';
import {
  createAnswerWriter,
  EMPTY_ANSWER_NOTE,
  FIRST_FLUSH_GATHER_MS,
  noteFor,
  stopNoteFor,
} from '../../src/out/answer-writer.js';
import { MESSAGE_MAX_CHARS } from '../../src/out/format.js';
import { createPacer, flushIntervalMs } from '../../src/out/pacing.js';
import { feedbackBlock } from '../../src/out/views/feedback.js';
import { localCall } from '../support/budget.js';
import { testClock } from '../support/test-clock.js';

const logger = pino({ level: 'silent' });
const target: ThreadTarget = { teamId: 'T1', channelId: 'C1', threadTs: '1.0', userId: 'U1', isDm: false };

type ChatMethod = 'postMessage' | 'update' | 'startStream' | 'appendStream' | 'stopStream';
type Call = { method: ChatMethod; args: Record<string, unknown>; ts?: string };

/**
 * An answer writer on a fake Slack that records every chat call. `refuse` names the Slack error
 * the next call of a method gets.
 */
const setup = (nativeStreaming: boolean, auto = true) => {
  const clock = testClock({ auto });
  const calls: Call[] = [];
  const refuse = new Map<ChatMethod, string>();
  let ts = 0;
  const method =
    (name: ChatMethod) =>
    async (args: Record<string, unknown>): Promise<{ ok: true; ts?: string }> => {
      const call: Call = { method: name, args };
      calls.push(call);
      const error = refuse.get(name);
      if (error) {
        refuse.delete(name);
        throw new WebAPIPlatformError({ ok: false, error });
      }
      if (name !== 'postMessage' && name !== 'startStream') return { ok: true };
      call.ts = `2.${++ts}`;
      return { ok: true, ts: call.ts };
    };
  const chat = Object.fromEntries(
    (['postMessage', 'update', 'startStream', 'appendStream', 'stopStream'] as const).map((m) => [
      m,
      method(m),
    ]),
  );
  let posted = 0;
  const writer = createAnswerWriter(target, {
    client: { chat } as unknown as Pick<WebClient, 'chat'>,
    call: localCall({ now: clock.now, sleep: clock.sleep }),
    pacer: createPacer(),
    now: clock.now,
    sleep: clock.sleep,
    log: logger,
    nativeStreaming,
    onPosted: () => {
      posted++;
    },
  });
  const of = (m: ChatMethod) => calls.filter((c) => c.method === m).map((c) => c.args);
  /** What the message `ts` shows now: its post, then its last update. */
  const shows = (messageTs: string) => {
    const edit = of('update').findLast((a) => a.ts === messageTs);
    const post = calls.find((c) => c.method === 'postMessage' && c.ts === messageTs);
    return String((edit ?? post?.args)?.text ?? '');
  };
  return { writer, calls, of, refuse, shows, posted: () => posted, clock };
};

const settle = () => new Promise((r) => setTimeout(r, 30));

describe('an answer posted as a message and edited in place', () => {
  it('shows a placeholder at once, then the text in its place', async () => {
    const { writer, of, shows, posted } = setup(false);
    await settle();
    expect(of('postMessage')).toEqual([{ channel: 'C1', thread_ts: '1.0', text: PLACEHOLDER_TEXT }]);
    writer.append('Hello ');
    writer.append('**world**');
    const { ts } = await writer.finish();
    expect(ts).toEqual(['2.1']);
    expect(shows('2.1')).toBe('Hello world');
    expect(of('postMessage')).toHaveLength(1);
    expect(posted()).toBe(1);
  });

  it('cannot move the agent session (chat.update has no session status): the caller does', async () => {
    const { writer, of } = setup(false);
    writer.append('Plain answer');
    const written = await writer.finish({ sessionStatus: 'active' });
    expect(of('update').every((a) => !('session_status' in a))).toBe(true);
    expect(written.sessionStatus).toBeUndefined();
  });

  it('says so when the answer came back empty', async () => {
    const { writer, shows } = setup(false);
    const { ts } = await writer.finish();
    expect(ts).toEqual(['2.1']);
    expect(shows('2.1')).toBe(EMPTY_ANSWER_NOTE);
  });

  it('posts the text again when Slack says the message is gone, and reports only the new one', async () => {
    const { writer, refuse, of } = setup(false);
    await settle();
    refuse.set('update', 'message_not_found');
    writer.append('Still here');
    const { ts } = await writer.finish();
    expect(ts).toEqual(['2.2']);
    expect(of('postMessage').at(-1)?.text).toBe('Still here');
  });

  it('continues in a new message past the length of one', async () => {
    const { writer, of } = setup(false);
    const words = 'word '.repeat(Math.ceil((MESSAGE_MAX_CHARS * 1.5) / 5));
    writer.append(words);
    const { ts } = await writer.finish();
    expect(ts).toHaveLength(2);
    const texts = [...of('update').map((a) => String(a.text)), String(of('postMessage').at(-1)?.text)];
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(MESSAGE_MAX_CHARS);
  });
});

describe('an answer streamed natively', () => {
  it('starts the stream with its first text for the asker, appends, and stops it', async () => {
    const { writer, of } = setup(true);
    writer.append('Hello ');
    await settle();
    writer.append('there');
    await settle();
    const { ts, feedbackTs } = await writer.finish();
    expect(ts).toEqual(['2.1']);
    expect(feedbackTs).toBe('2.1');
    expect(of('startStream')[0]).toMatchObject({
      channel: 'C1',
      thread_ts: '1.0',
      markdown_text: 'Hello ',
      recipient_user_id: 'U1',
      recipient_team_id: 'T1',
    });
    expect(of('appendStream')).toEqual([{ channel: 'C1', ts: '2.1', markdown_text: 'there' }]);
    // The stream closes with the feedback buttons.
    expect(of('stopStream')).toEqual([{ channel: 'C1', ts: '2.1', blocks: [feedbackBlock()] }]);
    expect(of('postMessage')).toEqual([]);
  });

  it('moves the agent session in the stream’s closing call, and says so', async () => {
    const { writer, of } = setup(true);
    writer.append('Hello ');
    await settle();
    const written = await writer.finish({ sessionStatus: 'active' });
    expect(of('stopStream')).toEqual([
      { channel: 'C1', ts: '2.1', blocks: [feedbackBlock()], session_status: 'active' },
    ]);
    expect(written.sessionStatus).toBe('active');
  });

  it('leaves the session to its caller when the answer does not end as a stream', async () => {
    const { writer, refuse, of } = setup(true);
    writer.append('First part. ');
    await settle();
    refuse.set('stopStream', 'message_not_in_streaming_state');
    const written = await writer.finish({ sessionStatus: 'active' });
    // The refused stopStream asked for it; nothing took it, so the result does not claim it.
    expect(of('stopStream')[0]).toMatchObject({ session_status: 'active' });
    expect(written.sessionStatus).toBeUndefined();
  });

  it('continues in a posted message when Slack ends the stream early', async () => {
    const { writer, refuse, of } = setup(true);
    writer.append('First part. ');
    await settle();
    refuse.set('appendStream', 'message_not_in_streaming_state');
    writer.append('Second part.');
    await settle();
    const { ts } = await writer.finish();
    expect(ts).toEqual(['2.1', '2.2']);
    expect(of('postMessage').map((a) => a.text)).toEqual(['Second part.']);
  });

  it('posts instead when Slack refuses to start a stream', async () => {
    const { writer, refuse, of } = setup(true);
    refuse.set('startStream', 'not_allowed');
    writer.append('Plain answer');
    const { ts } = await writer.finish();
    expect(ts).toEqual(['2.1']);
    expect(of('postMessage').map((a) => a.text)).toEqual(['Plain answer']);
  });
});

describe('the note an answer ends with', () => {
  it('is nothing for a whole answer, the empty-answer note for none', () => {
    expect(noteFor('An answer.', {})).toBe('');
    expect(noteFor('  ', {})).toBe(EMPTY_ANSWER_NOTE);
  });

  it('says once that the answer was cut off, with the reason, as a quote after the text', () => {
    expect(noteFor('Half an', { cutOff: true, error: 'The model took too long.\n' })).toBe(
      '\n\n> ⚠️ The answer was cut off. The model took too long.',
    );
    expect(noteFor('', { error: 'The model is unavailable.' })).toBe('⚠️ The model is unavailable.');
  });

  it('closes a code block the cut left open, so the note is not shown as code', () => {
    expect(noteFor('```ts\nconst a = 1;', { cutOff: true })).toBe('\n```\n\n> ⚠️ The answer was cut off.');
  });

  it('is added by fail() after the text that went out', async () => {
    const { writer, of } = setup(false);
    writer.append('Half an answer');
    await settle();
    await writer.fail('The model took too long.');
    expect(String(of('update').at(-1)?.text)).toContain('Half an answer');
    expect(String(of('update').at(-1)?.text)).toContain('The answer was cut off. The model took too long.');
  });
});

describe('an answer someone stopped', () => {
  it('ends a stream Slack already stopped with the note in a new message, and nothing unseen', async () => {
    const { writer, of } = setup(true);
    writer.append('Seen text. ');
    await settle();
    writer.append('Never shown.');
    const { ts } = await writer.finish({ stopped: { userId: 'U9', streams: ['2.1'] } });
    expect(ts).toEqual(['2.1', '2.2']);
    // No chat.stopStream on a stream Slack stopped, and the text it had not shown stays unshown.
    expect(of('stopStream')).toEqual([]);
    expect(of('appendStream')).toEqual([]);
    expect(of('postMessage').map((a) => a.text)).toEqual(['⏹️ Stopped by &lt;@U9&gt;.']);
  });

  it('closes a stream Slack did not stop with the note in it, and the feedback buttons for what was seen', async () => {
    const { writer, of } = setup(true);
    writer.append('Seen text.');
    await settle();
    await writer.finish({ stopped: { userId: 'U9', streams: [] } });
    expect(of('stopStream')).toEqual([
      {
        channel: 'C1',
        ts: '2.1',
        markdown_text: '\n\n> ⏹️ Stopped by <@U9>.',
        blocks: [feedbackBlock()],
      },
    ]);
  });

  it('holds text a stopped stream refused until the next flush, so a stop meanwhile drops it', async () => {
    const { writer, refuse, of, clock } = setup(true, false);
    writer.append('First part. ');
    await settle();
    clock.advance(FIRST_FLUSH_GATHER_MS);
    await settle();
    expect(of('startStream')).toHaveLength(1);
    refuse.set('appendStream', 'message_not_in_streaming_state');
    writer.append('After the click.');
    clock.advance(flushIntervalMs('stream', 1));
    await settle();
    expect(of('appendStream')).toHaveLength(1);
    // Not posted at once: the stop that follows Slack's click a moment later finds it unsent.
    expect(of('postMessage')).toEqual([]);
    await writer.finish({ stopped: { userId: 'U9', streams: [] } });
    expect(of('postMessage').map((a) => a.text)).toEqual(['⏹️ Stopped by &lt;@U9&gt;.']);
  });

  it('replaces the placeholder of a posted answer, or adds the note under its text', async () => {
    const empty = setup(false);
    await settle();
    await empty.writer.finish({ stopped: { userId: 'U9', streams: [] } });
    expect(empty.shows('2.1')).toBe('⏹️ Stopped by &lt;@U9&gt;.');

    const some = setup(false);
    some.writer.append('Half an answer');
    await settle();
    await some.writer.finish({ stopped: { userId: 'U9', streams: [] } });
    expect(some.shows('2.1')).toContain('Half an answer');
    expect(some.shows('2.1')).toContain('Stopped by &lt;@U9&gt;.');
  });

  it('closes a code block the stop left open', () => {
    expect(stopNoteFor('```ts\nconst a = 1;', 'U9')).toBe('\n```\n\n> ⏹️ Stopped by <@U9>.');
    expect(stopNoteFor('', 'U9')).toBe('⏹️ Stopped by <@U9>.');
  });
});
