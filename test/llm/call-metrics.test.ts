import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { createMetrics } from '../../src/core/metrics.js';
import { withCallMetrics } from '../../src/llm/call-metrics.js';
import type { LlmClient, LlmResult } from '../../src/llm/client.js';

const result: LlmResult = {
  text: 'hi',
  finishReason: 'stop',
  model: 'm',
  ms: 5,
  firstTokenMs: 1,
  attempts: 1,
};

/** A client that answers, or fails with each of `failures` in turn. */
const scripted = (failures: unknown[]): LlmClient => ({
  stream: async () => {
    if (failures.length > 0) throw failures.shift();
    return result;
  },
});

const counts = async (metrics: ReturnType<typeof createMetrics>) =>
  Object.fromEntries((await metrics.llmCalls.get()).values.map((v) => [String(v.labels.outcome), v.value]));

describe('withCallMetrics', () => {
  it('counts each call by outcome: ok, the error code, or `error` when it has none', async () => {
    const metrics = createMetrics();
    const boom = new Error('onDelta threw');
    const quota = new AppError('llm_quota_exceeded', 'quota');
    const llm = withCallMetrics(scripted([quota, boom, quota]), metrics);
    const messages = [{ role: 'user' as const, content: 'hi' }];

    await expect(llm.stream({ messages })).rejects.toBe(quota);
    await expect(llm.stream({ messages })).rejects.toBe(boom);
    await expect(llm.stream({ messages })).rejects.toBe(quota);
    await expect(llm.stream({ messages })).resolves.toBe(result);

    expect(await counts(metrics)).toEqual({ llm_quota_exceeded: 2, error: 1, ok: 1 });
  });
});
