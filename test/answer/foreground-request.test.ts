import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { QUEUES } from '../../src/queue/registry.js';
import { redisState, until } from '../support/redis-state.js';
import { botReplies, type Stack, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();
const INTERRUPTED = /interrupted while answering/;

/**
 * Runs a request's intake job again after it completed: what BullMQ does when a process finished
 * the work but died before marking the job done (the job then counts as a re-run).
 */
const rerunIntake = async (s: Stack, requestId: string) => {
  const { redis } = redisState(s);
  const queue = new Queue(QUEUES.intake.name, { connection: redis.duplicate(), prefix: s.prefix });
  onTestFinished(() => queue.close());
  const jobId = requestId.replace(/:/g, '_');
  const job = await until(async () => {
    const j = await queue.getJob(jobId);
    return j && (await j.getState()) === 'completed' ? j : undefined;
  });
  await job.retry('completed');
  await until(async () => {
    const j = await queue.getJob(jobId);
    return j && j.attemptsMade >= 2 && (await j.getState()) === 'completed';
  });
};

describe('a foreground request’s record', () => {
  it('ends failed, not answering, when the answer’s final post fails', async () => {
    const s = await start({ llm: { ttftMs: 500 } });
    const state = redisState(s);
    const { ts } = await s.driver.mention({
      channel: 'C1',
      user: 'U1',
      text: 'answer me before the archive',
    });
    await s.llm.waitForRequests(1);
    s.slack.setChannel('C1', { archived: true });
    const id = state.idOf('C1', ts);
    const record = await until(async () => {
      const r = await state.record(id);
      return r && r.state !== 'answering' ? r : undefined;
    });
    expect(record.state).toBe('failed');
  });
});

describe('a re-run of a foreground request', () => {
  it('after the earlier run finished, posts no "interrupted" note and no second answer', async () => {
    const s = await start();
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C2', user: 'U2', text: 'what is a monad?' });
    await waitForReplies(s, 'C2', ts);
    const id = state.idOf('C2', ts);
    await until(async () => (await state.record(id))?.state === 'done');
    await rerunIntake(s, id);
    expect(botReplies(s, 'C2', ts).filter((m) => INTERRUPTED.test(m.text))).toHaveLength(0);
    expect(botReplies(s, 'C2', ts)).toHaveLength(1);
    expect(s.llm.requests()).toHaveLength(1);
  });

  it('after the earlier run was cut short while answering, says so and answers afresh', async () => {
    const s = await start();
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C3', user: 'U3', text: 'what is a functor?' });
    await waitForReplies(s, 'C3', ts);
    const id = state.idOf('C3', ts);
    await until(async () => (await state.record(id))?.state === 'done');
    // What a process that died mid-answer leaves behind: the record still says answering.
    await state.redis.hset(state.keys.request(id), 'state', 'answering');
    await rerunIntake(s, id);
    await s.slack.waitFor(() => botReplies(s, 'C3', ts).find((m) => INTERRUPTED.test(m.text)));
    await waitForReplies(s, 'C3', ts, 3);
    expect(s.llm.requests()).toHaveLength(2);
    expect((await state.record(id))?.state).toBe('done');
  });
});
