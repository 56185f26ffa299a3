import { describe, expect, it } from 'vitest';
import type { RequestStore } from '../../src/sessions/requests.js';
import { startAnswerWorker } from '../support/answer-worker.js';
import { redisState, until } from '../support/redis-state.js';
import { answerIn, notesIn, pause, useStack } from '../support/stack.js';

const start = useStack();
const failureNotes = (s: Parameters<typeof notesIn>[0], channel: string, ts: string) =>
  notesIn(s, channel, ts).filter((m) => m.text.includes('❌'));

describe('a background answer that cannot be posted', () => {
  it('ends at once in an archived channel: one LLM call, record failed, queued cap free, no retry', async () => {
    const s = await start({ llm: { ttftMs: 400 } });
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'later archive me' });
    await s.llm.waitForRequests(1);
    s.slack.setChannel('C1', { archived: true });
    const id = state.idOf('C1', ts);
    const record = await until(async () => {
      const r = await state.record(id);
      return r?.state === 'failed' ? r : undefined;
    }, 10_000);
    expect(record.error).toMatch(/archived/);
    expect(await state.queued('U1')).toBe(0);
    expect(await state.running('U1')).toBe(0);
    // A retry would come within 2 s (the first backoff) and call the LLM again.
    await pause(3_000);
    expect(s.llm.requests()).toHaveLength(1);
    expect((await state.record(id))?.state).toBe('failed');
    expect(answerIn(s, 'C1', ts)).toHaveLength(0);
  });
});

describe('after the answer is posted', () => {
  it('a Redis error in the bookkeeping leaves one answer, no failure note, and the record done', async () => {
    const s = await start({ role: 'web' });
    const state = redisState(s);
    const redisDown = () => new Error('Connection is closed.');
    let doneUpdates = 0;
    const worker = await startAnswerWorker(s, {
      deps: (real) => {
        const requests: Pick<RequestStore, 'get' | 'update' | 'setResult' | 'inThread'> = {
          setResult: async () => {
            throw redisDown();
          },
          inThread: async () => {
            throw redisDown();
          },
          get: async () => {
            throw redisDown();
          },
          // The first update that would end the request fails; the next try gets through.
          update: async (id, patch) => {
            if (patch.state === 'done' && doneUpdates++ === 0) throw redisDown();
            return real.requests.update(id, patch);
          },
        };
        return { requests, onReady: async () => {} };
      },
    });
    try {
      const { ts } = await s.driver.mention({ channel: 'C2', user: 'U2', text: 'later count the beans' });
      await s.slack.waitFor(() => answerIn(s, 'C2', ts)[0], 8_000);
      await s.slack.waitFor(() => s.slack.reactions('C2', ts).join() === 'white_check_mark', 5_000);
      const id = state.idOf('C2', ts);
      await until(async () => (await state.record(id))?.state === 'done', 5_000);
      await pause(2_500);
      expect(answerIn(s, 'C2', ts)).toHaveLength(1);
      expect(failureNotes(s, 'C2', ts)).toHaveLength(0);
      expect(s.slack.reactions('C2', ts)).toEqual(['white_check_mark']);
      expect((await state.record(id))?.state).toBe('done');
      expect(await state.queued('U2')).toBe(0);
      expect(s.llm.requests()).toHaveLength(1);
      expect(worker.logs.some((l) => l.includes('best-effort step failed'))).toBe(true);
    } finally {
      await worker.stop();
    }
  });
});

describe('a Redis blip before the post', () => {
  it('is retried like any transient error: one answer, no failure note', async () => {
    const s = await start({ role: 'web' });
    const state = redisState(s);
    let runningUpdates = 0;
    const worker = await startAnswerWorker(s, {
      deps: (real) => {
        const requests: Pick<RequestStore, 'get' | 'update' | 'setResult' | 'inThread'> = {
          setResult: (id, result) => real.requests.setResult(id, result),
          inThread: (thread) => real.requests.inThread(thread),
          get: (id) => real.requests.get(id),
          // The fail-fast producer's error while Redis is away, once, as the job starts.
          update: async (id, patch) => {
            if (patch.state === 'running' && runningUpdates++ === 0)
              throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
            return real.requests.update(id, patch);
          },
        };
        return { requests };
      },
    });
    try {
      const { ts } = await s.driver.mention({ channel: 'C4', user: 'U4', text: 'later survive a blip' });
      await s.slack.waitFor(() => answerIn(s, 'C4', ts)[0], 15_000);
      const id = state.idOf('C4', ts);
      await until(async () => (await state.record(id))?.state === 'done', 5_000);
      expect(runningUpdates).toBeGreaterThanOrEqual(2);
      expect(failureNotes(s, 'C4', ts)).toHaveLength(0);
      expect(answerIn(s, 'C4', ts)).toHaveLength(1);
    } finally {
      await worker.stop();
    }
  }, 25_000);
});

describe('a transient Slack read error', () => {
  it('a 500 on conversations.replies during a re-run is retried, then the question is answered', async () => {
    const s = await start();
    // The first attempt fails retryably, so the second is a re-run that reads the thread first.
    s.llm.failNext({ kind: '429', retryAfter: 1 });
    s.slack.failNext('conversations.replies', { status: 500 });
    const { ts } = await s.driver.mention({ channel: 'C3', user: 'U3', text: 'later read me twice' });
    await s.slack.waitFor(() => answerIn(s, 'C3', ts)[0], 15_000);
    await s.slack.waitFor(() => s.slack.reactions('C3', ts).join() === 'white_check_mark', 5_000);
    expect(s.slack.calls('conversations.replies').map((c) => c.status)).toEqual([500, 200]);
    expect(failureNotes(s, 'C3', ts)).toHaveLength(0);
    expect(answerIn(s, 'C3', ts)).toHaveLength(1);
    expect(s.llm.requests()).toHaveLength(2);
  }, 25_000);
});
