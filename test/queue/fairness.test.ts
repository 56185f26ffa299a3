import { Redis } from 'ioredis';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { createFairness } from '../../src/queue/fairness.js';
import { createKeys } from '../../src/sessions/keys.js';
import { startAnswerWorker } from '../support/answer-worker.js';
import { answerIn, notesIn, pause, useStack } from '../support/stack.js';

const start = useStack();

describe('per-user running slots', () => {
  it('a job running far past the lease keeps its slot, so the user’s running cap still holds', async () => {
    const s = await start({ role: 'web', env: { USER_MAX_QUEUED: '5' }, llm: { ttftMs: 3_000 } });
    const first = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'later long job one' });
    await s.slack.waitFor(() => notesIn(s, 'C1', first.ts)[0]);
    const second = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'later long job two' });
    await s.slack.waitFor(() => notesIn(s, 'C1', second.ts)[0]);
    // A 300 ms lease: each job runs ten leases long, renewed every 100 ms.
    const worker = await startAnswerWorker(s, { fairness: { leaseMs: 300, maxRunning: 1 }, concurrency: 2 });
    try {
      await s.slack.waitFor(() => answerIn(s, 'C1', first.ts)[0] ?? answerIn(s, 'C1', second.ts)[0], 10_000);
      const [a, b] = await s.llm.waitForRequests(2, 15_000);
      // The answer goes out as its queued note, edited in place.
      const firstPost = s.slack.calls('chat.update').find((c) => {
        const meta = c.params.metadata as { event_type?: string } | undefined;
        return meta?.event_type === 'backchannel_answer';
      });
      // The second job's LLM call starts only once the first job has posted and let go of its slot.
      expect(a && b && firstPost).toBeTruthy();
      expect(b!.at).toBeGreaterThanOrEqual(firstPost!.at);
      await s.slack.waitFor(() => answerIn(s, 'C1', second.ts)[0], 10_000);
    } finally {
      await worker.stop();
    }
  }, 30_000);

  it('renewal keeps the slot key alive past twice the lease', async () => {
    const redis = new Redis(inject('redisUrl'));
    onTestFinished(() => redis.disconnect());
    const keys = createKeys(`fair${Date.now()}`);
    const fairness = createFairness({ redis, keys, maxRunning: 1, maxQueued: 5, leaseMs: 200 });
    expect(await fairness.acquireRunning('T', 'U', 'job-1')).toBe(true);
    for (let i = 0; i < 8; i++) {
      await pause(70);
      await fairness.renewRunning('T', 'U', 'job-1');
    }
    // 560 ms after the acquire: well past the 400 ms expiry the acquire set.
    expect(await fairness.acquireRunning('T', 'U', 'job-2')).toBe(false);
    await fairness.releaseRunning('T', 'U', 'job-1');
    expect(await fairness.acquireRunning('T', 'U', 'job-2')).toBe(true);
  });
});
