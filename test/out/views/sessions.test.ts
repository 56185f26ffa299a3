import { describe, expect, it } from 'vitest';
import { countRequests, groupSessions, sessionKey } from '../../../src/out/views/sessions.js';
import { CHANNEL, NOW, record } from './fixtures.js';

describe('sessions', () => {
  it('keeps one record per request id, the most recently updated', () => {
    const r = record({ state: 'queued', updatedAt: NOW - 60_000 });
    const sessions = groupSessions([r, { ...r, state: 'running', updatedAt: NOW - 1_000 }, r]);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.requests).toHaveLength(1);
    expect(sessions[0]?.latest.state).toBe('running');
  });

  it('holds a thread’s requests newest first, and points at the newest unread one', () => {
    const threadTs = '1714564000.000200';
    const read = record({ threadTs, state: 'done', updatedAt: NOW - 50_000 });
    const unread = record({ threadTs, state: 'done', unread: true, updatedAt: NOW - 40_000 });
    const running = record({ threadTs, state: 'running', updatedAt: NOW - 1_000 });
    const [session] = groupSessions([read, running, unread]);
    expect(session?.key).toBe(sessionKey(CHANNEL, threadTs));
    expect(session?.requests.map((r) => r.id)).toEqual([running.id, unread.id, read.id]);
    expect(session?.unread?.id).toBe(unread.id);
  });

  it('counts every request by state and unread, whichever page it is on', () => {
    const records = [
      record({ state: 'queued' }),
      record({ state: 'running' }),
      record({ state: 'failed' }),
      record({ state: 'done', unread: true }),
      record({ state: 'done' }),
    ];
    expect(countRequests(records)).toEqual({ unread: 1, queued: 1, running: 1, failed: 1 });
  });
});
