import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Sleep } from '../core/time.js';
import { SpanKind, withSpan } from '../core/tracing.js';
import { createRateGate, type RunOptions } from './rate-gate.js';
import { toSlackAppError } from './slack-error.js';

/**
 * One WebClient call as the poster makes it: through the rate gate (a 429 waits per method and
 * channel, rate-gate.ts), and with Slack's errors leaving as AppError (`slack_api`,
 * `slack_not_in_channel`; slack-error.ts), so no raw WebClient error leaves out/.
 */
export type SlackCall = <T>(
  method: string,
  channel: string,
  fn: () => Promise<T>,
  opts?: RunOptions,
) => Promise<T>;

export const createSlackCall = (deps: { logger: Logger; now: () => number; sleep: Sleep }): SlackCall => {
  const gate = createRateGate(deps);
  const call: SlackCall = async (method, channel, fn, opts) => {
    try {
      return await gate.run(method, channel, fn, opts);
    } catch (err) {
      throw toSlackAppError(err, method);
    }
  };
  // One span per call, its waits for the rate gate included.
  return (method, channel, fn, opts) =>
    withSpan(
      `slack.${method}`,
      { 'slack.method': method },
      () => call(method, channel, fn, opts),
      SpanKind.CLIENT,
    );
};

/** The ts of a message Slack said it posted (an answer without one is a broken promise). */
export const requireTs = (ts: string | undefined, method: string): string => {
  if (!ts) throw new AppError('slack_api', `Slack ${method} returned no ts`);
  return ts;
};
