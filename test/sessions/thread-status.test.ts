import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createThreadSession, statusAfter } from '../../src/sessions/thread-status.js';

const r = (id: string, state: 'answering' | 'queued' | 'running') => ({ id, state });
const thread = { teamId: 'T1', channelId: 'C1', threadTs: '1.0' };

describe('the status a thread’s session takes when one request in it ends', () => {
  it('is active when nothing else is in flight there, the ending request aside', () => {
    expect(statusAfter([])).toBe('active');
    expect(statusAfter([r('a', 'answering')], 'a')).toBe('active');
  });

  it('is suspended when what is left only waits in the queue', () => {
    expect(statusAfter([r('a', 'running'), r('b', 'queued')], 'a')).toBe('suspended');
  });

  it('is left as it is while other work still runs there', () => {
    expect(statusAfter([r('a', 'answering'), r('b', 'running')], 'a')).toBeUndefined();
    expect(statusAfter([r('b', 'answering'), r('c', 'queued')])).toBeUndefined();
  });

  it('settles active when the thread’s work cannot be read, and sends nothing when it is busy', async () => {
    const setSessionStatus = vi.fn(async () => true);
    const broken = createThreadSession({
      requests: { inThread: async () => Promise.reject(new Error('Connection is closed.')) },
      sessions: { setSessionStatus },
      logger: pino({ level: 'silent' }),
    });
    await broken.settle(thread);
    expect(setSessionStatus).toHaveBeenCalledWith(thread, 'active', {});

    setSessionStatus.mockClear();
    const busy = createThreadSession({
      requests: { inThread: async () => [r('b', 'running')] as never },
      sessions: { setSessionStatus },
      logger: pino({ level: 'silent' }),
    });
    await busy.settle(thread, 'a');
    expect(setSessionStatus).not.toHaveBeenCalled();
  });
});
