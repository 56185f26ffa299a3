import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { LlmClient, LlmResult } from '../../src/llm/client.js';
import { estimatePromptTokens, withGovernor } from '../../src/llm/governed.js';
import type { GovernorLease, LlmGovernor } from '../../src/llm/governor.js';

const result: LlmResult = {
  text: 'hi',
  finishReason: 'stop',
  model: 'm',
  ms: 5,
  firstTokenMs: 1,
  attempts: 1,
  usage: { promptTokens: 30, completionTokens: 12 },
};
const messages = [
  { role: 'system' as const, content: 'Be brief.' },
  { role: 'user' as const, content: 'x'.repeat(400) },
];
const logger = pino({ level: 'silent' });

/** A governor that records what it was asked, and lets a call through once `open()` is called. */
const fakeGovernor = () => {
  const asked: { priority: string; tokens: number }[] = [];
  const released: (number | undefined)[] = [];
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const governor: Pick<LlmGovernor, 'acquire'> = {
    async acquire(priority, tokens, opts = {}) {
      asked.push({ priority, tokens });
      await Promise.race([
        gate,
        new Promise((_, reject) => opts.signal?.addEventListener('abort', () => reject(opts.signal?.reason))),
      ]);
      const lease: GovernorLease = {
        release: async (used) => {
          released.push(used);
        },
      };
      return lease;
    },
  };
  return { governor, asked, released, open: () => open() };
};

describe('the governed LLM client', () => {
  it('asks for the prompt estimate plus the answer cap, and gives back the slot with the tokens used', async () => {
    const g = fakeGovernor();
    let called = 0;
    const inner: LlmClient = {
      stream: async () => {
        called++;
        return result;
      },
    };
    const llm = withGovernor(inner, {
      governor: g.governor,
      priority: 'background',
      maxAnswerTokens: 100,
      logger,
    });
    const call = llm.stream({ messages });
    await new Promise((r) => setTimeout(r, 20));
    // No budget yet: the provider has not been called.
    expect(called).toBe(0);
    g.open();
    await expect(call).resolves.toBe(result);
    expect(g.asked).toEqual([{ priority: 'background', tokens: estimatePromptTokens(messages) + 100 }]);
    expect(estimatePromptTokens(messages)).toBe(3 + 4 + 3 + 4 + 100);
    expect(g.released).toEqual([42]);
  });

  it('gives the slot back when the call fails, and a cancel while waiting ends as `cancelled`', async () => {
    const g = fakeGovernor();
    const boom = new Error('down');
    const llm = withGovernor(
      {
        stream: async () => {
          throw boom;
        },
      },
      { governor: g.governor, priority: 'foreground', maxAnswerTokens: 10, logger },
    );
    const stop = new AbortController();
    const waiting = llm.stream({ messages, signal: stop.signal });
    stop.abort(new Error('stopped'));
    await expect(waiting).rejects.toMatchObject({ code: 'cancelled' });
    g.open();
    await expect(llm.stream({ messages })).rejects.toBe(boom);
    expect(g.released).toEqual([undefined]);
  });
});
