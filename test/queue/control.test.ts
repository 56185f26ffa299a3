import { describe, expect, it } from 'vitest';
import type { CompletionRequest } from '../../standins/llm/index.js';
import { addInstance, answerIn, botReplies, notesIn, pause, useStack } from '../support/stack.js';

const start = useStack();
const questionOf = (r: CompletionRequest) => String(r.messages.at(-1)?.content);

describe('control under load', () => {
  it('queues new requests at high priority when the web process is full, and says it is busy', async () => {
    const s = await start({ env: { FOREGROUND_MAX_IN_FLIGHT: '1' }, llm: { ttftMs: 800 } });
    const first = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'slow foreground question' });
    await s.llm.waitForRequests(1);
    const second = await s.driver.mention({ channel: 'C2', user: 'U2', text: 'overflow question' });
    const note = await s.slack.waitFor(() => notesIn(s, 'C2', second.ts)[0]);
    expect(note.text).toMatch(/busy/i);
    await s.slack.waitFor(() => answerIn(s, 'C2', second.ts)[0], 8_000);
    expect(botReplies(s, 'C1', first.ts).length).toBeGreaterThan(0);
  });

  it('keeps one user’s flood from starving another user', async () => {
    const s = await start({
      role: 'web',
      env: { USER_MAX_RUNNING: '1', USER_MAX_QUEUED: '20', WORKER_CONCURRENCY: '2' },
      llm: { ttftMs: 300 },
    });
    for (let i = 0; i < 8; i++)
      await s.driver.mention({ channel: 'C3', user: 'UFLOOD', text: `later flood ${i}` });
    await s.driver.mention({ channel: 'C3', user: 'UOTHER', text: 'later my one question' });
    await addInstance(s, 'worker', { WORKER_CONCURRENCY: '2', USER_MAX_RUNNING: '1' });
    // The other user's job runs among the first two, not after the flood.
    const reqs = await s.llm.waitForRequests(2, 10_000);
    expect(reqs.map(questionOf).some((q) => q.includes('my one question'))).toBe(true);
    // And the flooder never has two running at once.
    const all = await s.llm.waitForRequests(9, 20_000);
    const flood = all.filter((r) => questionOf(r).includes('flood'));
    for (let i = 1; i < flood.length; i++)
      expect(flood[i]!.at - flood[i - 1]!.at).toBeGreaterThanOrEqual(250);
    // Waiting for a slot is not a re-run: no job searched its thread for an earlier post.
    expect(s.slack.calls('conversations.replies')).toHaveLength(0);
  }, 30_000);

  it('refuses a request over the per-user queued cap with a private message', async () => {
    const s = await start({ role: 'web', env: { USER_MAX_QUEUED: '2' } });
    await s.driver.mention({ channel: 'C4', user: 'U4', text: 'later one' });
    await s.driver.mention({ channel: 'C4', user: 'U4', text: 'later two' });
    const third = await s.driver.mention({ channel: 'C4', user: 'U4', text: 'later three' });
    const eph = await s.slack.waitFor(() => s.slack.ephemerals('C4').find((e) => e.user === 'U4'));
    expect(eph.text).toMatch(/most queued|cancel/i);
    expect(notesIn(s, 'C4', third.ts)).toHaveLength(0);
  });

  it('rate-limits foreground requests per user with a friendly message', async () => {
    const s = await start({ env: { USER_RATE_LIMIT_PER_MINUTE: '2' } });
    for (let i = 0; i < 3; i++) await s.driver.mention({ channel: 'C5', user: 'U5', text: `question ${i}` });
    const eph = await s.slack.waitFor(() => s.slack.ephemerals('C5').find((e) => e.user === 'U5'));
    expect(eph.text).toMatch(/faster than I can answer/);
    // The two admitted ones reach the LLM (on a loaded machine, maybe after the refusal), the third never.
    await s.llm.waitForRequests(2);
    await pause(300);
    expect(s.llm.requests()).toHaveLength(2);
  });

  it('caps the answer length with MAX_ANSWER_TOKENS', async () => {
    const s = await start({ env: { MAX_ANSWER_TOKENS: '5' }, llm: { words: 50 } });
    await s.driver.mention({ channel: 'C6', user: 'U6', text: 'go on and on' });
    const [req] = await s.llm.waitForRequests(1);
    expect(req?.max_tokens).toBe(5);
  });
});

describe('/ask cancel', () => {
  it('removes a queued job; the thread says so and the badge shows it', async () => {
    const s = await start({ role: 'web' });
    const { ts } = await s.driver.mention({ channel: 'C7', user: 'U7', text: 'later never mind' });
    await s.slack.waitFor(() => notesIn(s, 'C7', ts)[0]);
    const { responseId } = await s.driver.command({ text: 'cancel', user: 'U7', channel: 'C7' });
    const response = await s.slack.waitFor(() => s.slack.responses(responseId)[0]);
    expect(JSON.stringify(response)).toMatch(/Cancelled your queued request/);
    await s.slack.waitFor(() => notesIn(s, 'C7', ts).find((m) => /Cancelled/.test(m.text)));
    await s.slack.waitFor(() => s.slack.reactions('C7', ts).join() === 'no_entry_sign');
    expect(s.slack.reactions('C7', ts)).toEqual(['no_entry_sign']);
    // A worker starting now finds nothing to do.
    await addInstance(s, 'worker');
    await pause(500);
    expect(s.llm.requests()).toHaveLength(0);
  });

  it('aborts a running job’s LLM call promptly', async () => {
    const s = await start({ llm: { ttftMs: 200, tokensPerSecond: 5, words: 100 } });
    const { ts } = await s.driver.mention({ channel: 'C8', user: 'U8', text: 'later a very long essay' });
    await s.llm.waitForRequests(1);
    await pause(300);
    const t0 = Date.now();
    await s.driver.command({ text: 'cancel', user: 'U8', channel: 'C8' });
    await s.slack.waitFor(() => notesIn(s, 'C8', ts).find((m) => /Cancelled/.test(m.text)), 5_000);
    expect(Date.now() - t0).toBeLessThan(3_000);
    await s.llm.waitFor(() => s.llm.requests()[0]?.outcome === 'client_closed');
    await s.slack.waitFor(() => s.slack.reactions('C8', ts).join() === 'no_entry_sign');
    expect(answerIn(s, 'C8', ts)).toHaveLength(0);
  });

  it('keeps a job cancelled during a retry backoff cancelled', async () => {
    const s = await start();
    s.llm.failNext({ kind: '429', retryAfter: 2 });
    const { ts } = await s.driver.mention({ channel: 'C9', user: 'U9', text: 'later backoff then cancel' });
    await s.llm.waitForRequests(1);
    await pause(300);
    await s.driver.command({ text: 'cancel', user: 'U9', channel: 'C9' });
    await s.slack.waitFor(() => notesIn(s, 'C9', ts).find((m) => /Cancelled/.test(m.text)));
    await pause(3_000);
    expect(s.llm.requests()).toHaveLength(1);
    expect(answerIn(s, 'C9', ts)).toHaveLength(0);
    expect(s.slack.reactions('C9', ts)).toEqual(['no_entry_sign']);
  });

  it('cancels nothing of someone else’s', async () => {
    const s = await start({ role: 'web' });
    const { ts } = await s.driver.mention({ channel: 'C10', user: 'UALICE', text: 'later alice’s job' });
    await s.slack.waitFor(() => notesIn(s, 'C10', ts)[0]);
    const { responseId } = await s.driver.command({ text: 'cancel', user: 'UMALLORY', channel: 'C10' });
    const response = await s.slack.waitFor(() => s.slack.responses(responseId)[0]);
    expect(JSON.stringify(response)).toMatch(/nothing queued or running/);
    // Alice's note still says it is queued, and her message wears no end badge.
    expect(notesIn(s, 'C10', ts)[0]?.text).toMatch(/Queued/);
    expect(s.slack.reactions('C10', ts)).toEqual([]);
  });
});
