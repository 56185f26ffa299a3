import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import {
  currentTraceId,
  startTracing,
  type Tracing,
  traceMetadata,
  withSpan,
} from '../../src/core/tracing.js';
import { type OtlpStandin, startOtlp } from '../../standins/otlp/index.js';

/** Tracing in one process, exported to the OTLP stand-in. The SDK is global: off first, then on. */
let otlp: OtlpStandin;
let tracing: Tracing | undefined;
beforeAll(async () => {
  otlp = await startOtlp();
});
afterAll(async () => {
  await tracing?.shutdown();
  await otlp?.close();
});

const settings = { headers: {}, batchDelayMs: 10, exportTimeoutMs: 5_000, sampleRatio: 1, parentBased: true };

const logLines = () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
  });
  return { logger, lines };
};

describe('tracing', () => {
  it('without an endpoint starts nothing: spans call straight through and logs carry no ids', async () => {
    const off = await startTracing({ ...settings, url: undefined, serviceName: 'bc-off' }, 'all');
    expect(off.enabled).toBe(false);
    const { logger, lines } = logLines();
    const value = await withSpan('nothing', {}, async (span) => {
      logger.info('inside');
      expect(span.isRecording()).toBe(false);
      return currentTraceId();
    });
    expect(value).toBeUndefined();
    expect(lines[0]).not.toHaveProperty('traceId');
    await off.shutdown();
  });

  it('with an endpoint exports nested spans of one trace, ids in the logs, errors by code only', async () => {
    tracing = await startTracing(
      { ...settings, url: `${otlp.url}/v1/traces`, serviceName: 'bc-unit' },
      'web',
    );
    expect(tracing.enabled).toBe(true);
    const { logger, lines } = logLines();
    let traceId: string | undefined;
    let metadata: string | undefined;
    await withSpan('outer', { 'test.kind': 'outer' }, async () => {
      traceId = currentTraceId();
      metadata = traceMetadata();
      logger.info({ requestId: 'r1' }, 'in the outer span');
      await withSpan('inner', {}, async () => {});
      await expect(
        withSpan('failing', {}, async () => {
          throw new AppError('slack_api', 'Slack said: the user wrote something private');
        }),
      ).rejects.toThrow(AppError);
    });
    logger.info('after the span');

    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    // What a job written without Queue.add carries so the worker continues this trace.
    expect(JSON.parse(metadata ?? '{}')).toEqual({
      traceparent: expect.stringMatching(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`)),
    });
    expect(traceMetadata()).toBeUndefined();
    expect(lines[0]).toMatchObject({
      traceId,
      requestId: 'r1',
      spanId: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(lines[1]).not.toHaveProperty('traceId');

    const spans = await otlp.waitFor(() => {
      const got = otlp.spans().filter((s) => s.traceId === traceId);
      return got.length === 3 && got;
    });
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(byName.outer?.parentSpanId).toBeUndefined();
    expect(byName.outer?.attributes).toEqual({ 'test.kind': 'outer' });
    expect(byName.outer?.resource).toMatchObject({ 'service.name': 'bc-unit', 'backchannel.role': 'web' });
    expect(byName.inner?.parentSpanId).toBe(byName.outer?.spanId);
    expect(byName.failing).toMatchObject({ statusCode: 2, attributes: { 'error.type': 'slack_api' } });
    expect(JSON.stringify(spans)).not.toContain('private');
  });
});
