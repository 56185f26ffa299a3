import { describe, expect, it } from 'vitest';
import { type Mark, readMark, toMetadata } from '../../src/out/metadata.js';

describe('the message metadata the bot writes', () => {
  // The wire format threads already in Slack carry: a re-run after a deploy must still find them.
  it.each<[string, Mark, { event_type: string; event_payload: Record<string, string> }]>([
    [
      'an /ask root',
      { type: 'question', requestId: 'r1', userId: 'U1', question: 'why?' },
      {
        event_type: 'backchannel_question',
        event_payload: { user: 'U1', question: 'why?', request_id: 'r1' },
      },
    ],
    [
      'a background answer',
      { type: 'answer', requestId: 'r1', jobId: 'answer_r1' },
      { event_type: 'backchannel_answer', event_payload: { request_id: 'r1', job_id: 'answer_r1' } },
    ],
    [
      'an answer without a job',
      { type: 'answer', requestId: 'r1' },
      { event_type: 'backchannel_answer', event_payload: { request_id: 'r1' } },
    ],
    [
      'a status note',
      { type: 'note', requestId: 'r1', kind: 'queued' },
      { event_type: 'backchannel_note', event_payload: { request_id: 'r1', kind: 'queued' } },
    ],
    [
      'a final failure note',
      { type: 'failure', requestId: 'r1', jobId: 'answer_r1' },
      { event_type: 'backchannel_note', event_payload: { request_id: 'r1', failed_job_id: 'answer_r1' } },
    ],
  ])('is the same on the wire as before for %s, and reads back as written', (_what, mark, wire) => {
    expect(toMetadata(mark)).toEqual(wire);
    expect(readMark(JSON.parse(JSON.stringify(wire)))).toEqual(mark);
  });
});

describe('reading metadata back from a thread', () => {
  it('knows nothing of messages without metadata or with someone else’s', () => {
    expect(readMark(undefined)).toBeUndefined();
    expect(readMark(null)).toBeUndefined();
    expect(readMark('backchannel_note')).toBeUndefined();
    expect(readMark({ event_type: 'task_created', event_payload: { id: '1' } })).toBeUndefined();
  });

  it('trusts the event type and leaves out payload fields that are missing or not text', () => {
    expect(readMark({ event_type: 'backchannel_note' })).toEqual({ type: 'note' });
    expect(readMark({ event_type: 'backchannel_note', event_payload: { kind: 7 } })).toEqual({
      type: 'note',
    });
    expect(readMark({ event_type: 'backchannel_answer', event_payload: { job_id: 'answer_7' } })).toEqual({
      type: 'answer',
      jobId: 'answer_7',
    });
    expect(readMark({ event_type: 'backchannel_question', event_payload: { user: 'U1' } })).toEqual({
      type: 'question',
      userId: 'U1',
    });
  });

  it('tells a failure note from the other notes by its failed job id', () => {
    const failure = readMark({
      event_type: 'backchannel_note',
      event_payload: { failed_job_id: 'answer_2' },
    });
    expect(failure).toEqual({ type: 'failure', jobId: 'answer_2' });
  });
});
