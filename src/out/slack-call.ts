import { AppError } from '../core/errors.js';
import { SpanKind, withSpan } from '../core/tracing.js';
import { type BudgetRun, isBudgetSkip, type SlackBudget } from './slack-budget.js';
import { toSlackAppError } from './slack-error.js';

/**
 * One WebClient call as the poster makes it: through the shared Slack budget (a token per
 * (team, method), a 429 pausing that method in every process; slack-budget.ts), and with Slack's
 * errors leaving as AppError (`slack_api`, `slack_not_in_channel`; slack-error.ts), so no raw
 * WebClient error leaves out/. An optional write the budget skipped leaves as BudgetSkip.
 */
export type SlackCall = BudgetRun;

export const createSlackCall = (budget: Pick<SlackBudget, 'run'>): SlackCall => {
  const call: SlackCall = async (method, channel, fn, opts) => {
    try {
      return await budget.run(method, channel, fn, opts);
    } catch (err) {
      if (isBudgetSkip(err)) throw err;
      throw toSlackAppError(err, method);
    }
  };
  // One span per call, its waits for the budget included.
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
