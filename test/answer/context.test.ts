import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createContextBuilder } from '../../src/answer/context.js';
import type { Turn } from '../../src/core/domain.js';
import { MAX_NAME_CHARS } from '../../src/core/text.js';
import { countMessages, turnTokens } from '../../src/llm/budget.js';
import { createHistoryStore } from '../../src/sessions/history.js';
import { createKeys } from '../../src/sessions/keys.js';
import { longInput } from '../../standins/long-inputs.js';
import { measureBlocking } from '../../standins/loop-watch.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const systemPrompt = 'You are Backchannel.';
const ref = { teamId: 'T', channelId: 'C', threadTs: '1000.0' };
const ts = (i: number) => `${1000 + i}.0`;
const said = (i: number, text: string): Turn =>
  i % 2
    ? { role: 'assistant', text, ts: ts(i) }
    : { role: 'user', userId: 'U1', name: 'Alice', text, ts: ts(i) };

/** The context builder on a real history cache, Slack a list of turns; every token count recorded. */
const builder = (thread: Turn[], budget = 16_000) => {
  const counted: string[] = [];
  const keys = createKeys(`ctx${Math.random().toString(36).slice(2, 8)}`);
  const history = createHistoryStore({
    redis,
    keys,
    ttlSeconds: 60,
    reader: { read: async () => thread },
    count: (turn) => {
      counted.push(turn.ts);
      return turnTokens(turn);
    },
    budgetTokens: budget,
  });
  const context = createContextBuilder({
    history,
    reader: { displayName: async (id) => (id === 'U2' ? 'Bob' : undefined) },
    config: { systemPrompt, contextTokenBudget: budget, maxAnswerTokens: 200 },
  });
  return { context, history, counted };
};
const ask = (i: number, question: string, userId = 'U2') => ({
  ...ref,
  userId,
  question,
  questionTs: ts(i),
  fresh: false,
});

describe('the context of a question', () => {
  it('keeps the root and the newest turns in order, the question last, within the budget', async () => {
    const thread = Array.from({ length: 40 }, (_, i) =>
      said(i, i === 0 ? 'ROOT: how do we rotate keys?' : `turn ${i} ${'filler words here '.repeat(20)}`),
    );
    const { context } = builder(thread, 1200);

    const built = await context.forQuestion(ask(40, 'NEWEST: and staging?'));

    const contents = built.messages.map((m) => String(m.content));
    expect(contents[0]).toBe(systemPrompt);
    expect(contents[1]).toBe('Alice: ROOT: how do we rotate keys?');
    expect(contents.at(-1)).toBe('Bob: NEWEST: and staging?');
    expect(built.droppedTurns).toBeGreaterThan(0);
    const kept = contents.slice(2, -1).map((c) => Number(/turn (\d+)/.exec(c)?.[1]));
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => 40 - kept.length + k));
    expect(built.tokens).toBeLessThanOrEqual(1200 - 200);
    expect(built.tokens).toBe(await countMessages(built.messages));
  });

  it('counts each turn once, however many questions follow', async () => {
    const thread = Array.from({ length: 10 }, (_, i) => said(i, `turn ${i} about keys`));
    const { context, history, counted } = builder(thread);

    await context.forQuestion(ask(10, 'first question'));
    await history.append(ref, said(11, 'first answer'));
    await context.forQuestion(ask(12, 'second question'));
    await context.forQuestion(ask(13, 'third question'));

    expect([...counted].sort()).toEqual([...thread.map((t) => t.ts), ts(10), ts(11), ts(12), ts(13)].sort());
  });

  it('bounds a 40,000-character question from a 10,000-character user id, without blocking', async () => {
    const { context } = builder([]);
    const question = longInput('no-space');
    const userId = `U${'X'.repeat(10_000)}`;

    const { result, worstCpuMs } = await measureBlocking(() =>
      context.forQuestion({ ...ask(1, question, userId), isNew: true }),
    );

    const last = String(result.messages.at(-1)?.content ?? '');
    expect(last.indexOf(':')).toBeLessThanOrEqual(MAX_NAME_CHARS);
    expect(last.endsWith(question.slice(-100))).toBe(true);
    expect(result.tokens).toBeLessThanOrEqual(16_000 - 200);
    expect(worstCpuMs).toBeLessThan(100);
  });
});
