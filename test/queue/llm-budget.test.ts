import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { QUEUES } from '../../src/queue/registry.js';
import { answerIn, notesIn, pause, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();

/** Polls an asynchronous probe (the stand-in's waitFor takes synchronous ones). */
const until = async (probe: () => Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(50);
  }
};

const questionOf = (r: { messages: { content?: unknown }[] }) => String(r.messages.at(-1)?.content ?? '');

describe('the LLM governor in the bot', () => {
  it('a background answer waits for the budget without burning an attempt, while a foreground answer gets its reserved share', async () => {
    // Two calls at once in all, half of them reserved for the foreground: background runs one at a time.
    const s = await start({
      env: { LLM_MAX_CONCURRENCY: '2', LLM_FOREGROUND_RESERVE: '0.5', USER_MAX_RUNNING: '5' },
      llm: { ttftMs: 1_500 },
    });
    const one = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'later first background job' });
    await s.slack.waitFor(() => notesIn(s, 'C1', one.ts)[0]);
    const two = await s.driver.mention({ channel: 'C2', user: 'U2', text: 'later second background job' });
    await s.slack.waitFor(() => notesIn(s, 'C2', two.ts)[0]);
    const connection = new Redis(s.env.REDIS_URL ?? '');
    onTestFinished(() => connection.disconnect());
    const queue = new Queue(QUEUES.answers.name, { connection, prefix: s.prefix });
    onTestFinished(() => queue.close());
    // Both jobs are taken by the worker; only one of them reaches the LLM.
    await until(async () => (await queue.getJobCounts('active')).active === 2, 8_000, 'two active jobs');
    await s.llm.waitForRequests(1);
    const waiting = (await queue.getJobs(['active'])).find((j) => JSON.stringify(j.data).includes('second'));
    expect(waiting?.attemptsMade).toBe(0);

    // A mention now is answered in the foreground, in the share background may not use.
    const fg = await s.driver.mention({ channel: 'C3', user: 'U3', text: 'what is on today?' });
    await waitForReplies(s, 'C3', fg.ts);
    await s.slack.waitFor(() => answerIn(s, 'C2', two.ts)[0], 15_000);
    const order = s.llm.requests().map(questionOf);
    expect(order.map((q) => /first|second|on today/.exec(q)?.[0])).toEqual(['first', 'on today', 'second']);
    // The second job answered on its first attempt: the wait was no attempt.
    const id = waiting?.id ?? '';
    await until(async () => (await queue.getJobState(id)) === 'completed', 5_000, 'the job to complete');
    const done = await queue.getJob(id);
    expect(done?.attemptsMade).toBe(1);
    expect(done?.attemptsStarted).toBe(1);
    expect(answerIn(s, 'C2', two.ts)).toHaveLength(1);
    // The wait shows in /metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${s.bot.port}/metrics`)).text();
    expect(metrics).toMatch(/backchannel_llm_budget_waits_total\{priority="background"\} [1-9]/);
    expect(metrics).toMatch(/backchannel_llm_in_flight 0/);
  }, 30_000);

  it('learns from the provider’s headers: with no request left until a reset, the next call waits for it', async () => {
    const s = await start({ env: { LLM_MAX_RPM: '100' } });
    let sent = 0;
    s.llm.configure({
      headers: () => {
        sent++;
        return sent === 1
          ? { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s' }
          : { 'x-ratelimit-remaining-requests': '50', 'x-ratelimit-reset-requests': '1s' };
      },
    });
    const a = await s.driver.mention({ channel: 'C5', user: 'U5', text: 'first question' });
    await waitForReplies(s, 'C5', a.ts);
    const b = await s.driver.mention({ channel: 'C6', user: 'U6', text: 'second question' });
    await waitForReplies(s, 'C6', b.ts);
    const [first, second] = s.llm.requests();
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_000);
  }, 20_000);
});

describe('queued work and free capacity', () => {
  it('overflow from the foreground runs at once on the LLM capacity left, not a few at a time', async () => {
    // Two foreground slots; the rest of a burst is queued. The worker's slots follow the governor's
    // twelve calls at once, so every queued answer starts while the first ones are still running.
    const s = await start({
      env: { FOREGROUND_MAX_IN_FLIGHT: '2', LLM_MAX_CONCURRENCY: '12', LLM_FOREGROUND_RESERVE: '0' },
      llm: { ttftMs: 8_000 },
    });
    const sent = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        s.driver.mention({ channel: `CB${i}`, user: `UB${i}`, text: `burst question ${i}` }),
      ),
    );
    const requests = await s.llm.waitForRequests(12, 20_000);
    // When the twelfth reached the LLM, none of the others had ended: all twelve ran at once, none
    // waited for another's slot (with a few slots, the later ones could only start as earlier ended).
    expect(requests.map((r) => r.outcome)).toEqual(Array(12).fill(undefined));
    for (const [i, m] of sent.entries()) await waitForReplies(s, `CB${i}`, m.ts, 1, 30_000);
    // Most went through the queue (how many depends on how fast the first two were taken), and
    // each was answered once.
    const queued = sent.filter((m, i) => notesIn(s, `CB${i}`, m.ts).length > 0);
    expect(queued.length).toBeGreaterThan(0);
    expect(s.llm.requests()).toHaveLength(12);
  }, 60_000);
});
