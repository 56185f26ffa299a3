import { isAppError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import type { LlmClient } from './types.js';

/** Counts every call by outcome: `ok`, the error code, or `error` for anything uncoded (a throwing onDelta). */
export const withCallMetrics = (llm: LlmClient, metrics: Pick<Metrics, 'llmCalls'>): LlmClient => ({
  stream: (req) =>
    llm.stream(req).then(
      (result) => {
        metrics.llmCalls.inc({ outcome: 'ok' });
        return result;
      },
      (err: unknown) => {
        metrics.llmCalls.inc({ outcome: isAppError(err) ? err.code : 'error' });
        throw err;
      },
    ),
});
