import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackPoster } from '../../src/out/poster.js';
import { createSlackClient } from '../../src/out/web-client.js';
import { type SlackApiStandin, startSlackApi } from '../../standins/slack/index.js';
import { defaultBadges } from '../support/badges.js';
import { liveSyntax } from './hostile.js';

/**
 * The poster's operations in the queue's and the handler's terms: notes, answers and the /ask root
 * carry the bot's message metadata as Slack stores it; badges are switched by name.
 */

const logger = pino({ level: 'silent' });
const thread = { channelId: 'C1', threadTs: '1690000000.000100' };

let slack: SlackApiStandin;
beforeAll(async () => {
  slack = await startSlackApi();
});
beforeEach(() => slack.reset());
afterAll(() => slack.close());

const poster = (badges = defaultBadges) =>
  createSlackPoster({
    client: createSlackClient({ token: 'xoxb-test', apiUrl: slack.apiUrl, logger, retries: 0 }),
    logger,
    nativeStreaming: false,
    badges,
  });

const metadataOf = (channel: string) => slack.messages(channel).map((m) => m.metadata);

describe('notes, answers and the /ask root', () => {
  it('mark a note with its request and kind, and a failure note with the failed job', async () => {
    const p = poster();
    await p.note(thread, 'Queued, you are next.', { requestId: 'r1', kind: 'queued' });
    await p.note(thread, '❌ I could not finish this one.', {
      requestId: 'r1',
      kind: 'failed',
      jobId: 'answer_r1',
    });
    expect(metadataOf('C1')).toEqual([
      { event_type: 'backchannel_note', event_payload: { request_id: 'r1', kind: 'queued' } },
      { event_type: 'backchannel_note', event_payload: { request_id: 'r1', failed_job_id: 'answer_r1' } },
    ]);
  });

  it('mark an answer with its request and job', async () => {
    await poster().answer(thread, 'The answer.', { requestId: 'r2', jobId: 'answer_r2' });
    expect(metadataOf('C1')).toEqual([
      { event_type: 'backchannel_answer', event_payload: { request_id: 'r2', job_id: 'answer_r2' } },
    ]);
  });

  it('turn the queued note into the answer in place, marked as the answer, with no second message', async () => {
    const p = poster();
    const { ts: noteTs } = await p.note(thread, 'Queued, you are next.', { requestId: 'r4', kind: 'queued' });
    const { ts } = await p.answer(
      thread,
      'The answer.',
      { requestId: 'r4', jobId: 'answer_r4' },
      { replacing: noteTs[0] },
    );
    expect(ts).toEqual(noteTs);
    expect(slack.calls().map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
    expect(metadataOf('C1')).toEqual([
      { event_type: 'backchannel_answer', event_payload: { request_id: 'r4', job_id: 'answer_r4' } },
    ]);
    expect(slack.messages('C1')[0]?.text).toContain('The answer.');
  });

  it('continue a long answer after the edited note, the job id only on its last message', async () => {
    const p = poster();
    const { ts: noteTs } = await p.note(thread, 'Queued.', { requestId: 'r5', kind: 'queued' });
    const long = `${'Lorem ipsum dolor sit amet. '.repeat(30)}\n\n`.repeat(30);
    const { ts } = await p.answer(
      thread,
      long,
      { requestId: 'r5', jobId: 'answer_r5' },
      { replacing: noteTs[0] },
    );
    expect(ts[0]).toBe(noteTs[0]);
    expect(ts.length).toBeGreaterThan(1);
    const marks = metadataOf('C1');
    expect(marks[0]).toEqual({ event_type: 'backchannel_answer', event_payload: { request_id: 'r5' } });
    expect(marks.slice(1, -1).every((m) => m === undefined)).toBe(true);
    expect(marks.at(-1)).toEqual({
      event_type: 'backchannel_answer',
      event_payload: { request_id: 'r5', job_id: 'answer_r5' },
    });
  });

  it('post the answer anew when its note is gone', async () => {
    const p = poster();
    const { ts: noteTs } = await p.note(thread, 'Queued.', { requestId: 'r6', kind: 'queued' });
    slack.failNext('chat.update', { error: 'message_not_found' });
    const { ts } = await p.answer(thread, 'The answer.', { requestId: 'r6' }, { replacing: noteTs[0] });
    expect(ts).toHaveLength(1);
    expect(ts[0]).not.toBe(noteTs[0]);
    expect(slack.calls().map((c) => c.method)).toEqual([
      'chat.postMessage',
      'chat.update',
      'chat.postMessage',
    ]);
  });

  it('post the /ask root at the top of the channel, quoting the asker without pinging anyone', async () => {
    const question = 'Why <!channel>?\nSee <https://evil.example|the docs>';
    const ts = await poster().question('C1', { requestId: 'r3', userId: 'U1', question });
    const [root] = slack.messages('C1');
    expect(root?.ts).toBe(ts);
    expect(root?.thread_ts ?? root?.ts).toBe(ts);
    expect(root?.text).toMatch(/^<@U1> asked:\n>Why .*\n>See /);
    expect(liveSyntax(root?.text ?? '')).toEqual([]);
    expect(root?.metadata).toEqual({
      event_type: 'backchannel_question',
      event_payload: { user: 'U1', question, request_id: 'r3' },
    });
  });
});

describe('badges', () => {
  /** The asker's message, which wears the badge. */
  const asked = () => slack.addMessage({ channel: 'C1', user: 'U1', text: 'later: count the beans' }).ts;

  it('put the new badge on before the old ones come off', async () => {
    const p = poster();
    const ts = asked();
    // A cancelled request, retried and answered.
    await p.badge('C1', ts, 'cancelled');
    await p.badge('C1', ts, 'done', ['cancelled']);
    expect(slack.reactions('C1', ts)).toEqual(['white_check_mark']);
    const order = slack.calls().map((c) => `${c.method} ${String(c.params.name)}`);
    expect(order).toEqual([
      'reactions.add no_entry_sign',
      'reactions.add white_check_mark',
      'reactions.remove no_entry_sign',
    ]);
  });

  it('take off only the badges named, and one off with unbadge', async () => {
    const p = poster();
    const ts = asked();
    await p.badge('C1', ts, 'failed');
    await p.badge('C1', ts, 'done', ['failed']);
    expect(slack.reactions('C1', ts)).toEqual(['white_check_mark']);
    // Nothing is removed that the caller does not know is there: no call that can only fail.
    expect(slack.calls('reactions.remove').map((c) => c.params.name)).toEqual(['x']);
    await p.unbadge('C1', ts, 'done');
    expect(slack.reactions('C1', ts)).toEqual([]);
  });

  it('leave a badge on that is configured with the same emoji as the new one', async () => {
    const p = poster({ ...defaultBadges, failed: 'warning', cancelled: 'warning' });
    const ts = asked();
    await p.badge('C1', ts, 'failed', []);
    await p.badge('C1', ts, 'cancelled', ['failed']);
    expect(slack.reactions('C1', ts)).toEqual(['warning']);
  });
});
