import { describe, expect, it } from 'vitest';
import { startTracing, withSpan } from '../../src/core/tracing.js';
import { freePort, waitFor } from '../support/processes.js';

/** A collector that is not there: the work goes on, and the log says why spans were lost. */
describe('tracing with the collector down', () => {
  it('keeps answering and logs the failed export as a warning or error, once per batch', async () => {
    const lines: { level: string; msg: string; fields: object }[] = [];
    const log = {
      warn: (fields: object, msg: string) => void lines.push({ level: 'warn', msg, fields }),
      error: (fields: object, msg: string) => void lines.push({ level: 'error', msg, fields }),
    };
    const port = await freePort();
    const tracing = await startTracing(
      {
        url: `http://127.0.0.1:${port}/v1/traces`,
        headers: { authorization: 'Bearer do-not-log-me' },
        serviceName: 'bc-down',
        batchDelayMs: 10,
        exportTimeoutMs: 300,
        sampleRatio: 1,
        parentBased: true,
      },
      'worker',
      log,
    );
    expect(await withSpan('work', {}, async () => 42)).toBe(42);
    await waitFor(() => lines.length > 0, { timeoutMs: 10_000, what: 'the failed export logged' });
    await tracing.shutdown();
    expect(lines[0]).toMatchObject({
      msg: 'tracing: the SDK reported a problem',
      fields: { component: 'tracing', detail: expect.stringContaining('ECONNREFUSED') },
    });
    expect(JSON.stringify(lines)).not.toContain('do-not-log-me');
  });
});
