import { describe, expect, it } from 'vitest';
import { newRequestRecord, titleOf } from '../../src/sessions/request-record.js';

const job = {
  request: { id: 'T1:C1:1.0', teamId: 'T1', userId: 'U1', channelId: 'C1', text: 'ignored', isDm: false },
  threadTs: '0.5',
  badgeTs: '1.0',
  question: '\n  \nsummarise the roadmap\nand the risks',
};

describe('a new request’s record', () => {
  it('says whose it is, where its thread and badge are, and its title, for the foreground', () => {
    expect(newRequestRecord(job, { state: 'answering', path: 'foreground' })).toEqual({
      id: 'T1:C1:1.0',
      teamId: 'T1',
      userId: 'U1',
      channelId: 'C1',
      threadTs: '0.5',
      badgeTs: '1.0',
      title: 'summarise the roadmap',
      state: 'answering',
      path: 'foreground',
    });
  });

  it('carries the queue’s job id and position for a queued one', () => {
    const record = newRequestRecord(job, {
      state: 'queued',
      path: 'background',
      jobId: 'answer_1',
      position: 3,
    });
    expect(record).toMatchObject({ state: 'queued', path: 'background', jobId: 'answer_1', position: 3 });
    expect(record.title).toBe('summarise the roadmap');
  });

  it('names the trace it was routed in, when tracing is on', () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    expect(newRequestRecord(job, { state: 'answering', path: 'foreground' }, traceId)).toMatchObject({
      traceId,
    });
  });
});

describe('a request’s title', () => {
  it('is the first line with words in it, cut to 80 characters', () => {
    expect(titleOf('first\nsecond')).toBe('first');
    expect(titleOf('x'.repeat(200))).toBe(`${'x'.repeat(79)}…`);
    expect(titleOf('   ')).toBe('   ');
  });
});
