import pino from 'pino';
import type { Sleep } from '../../src/core/time.js';
import { sleep as realSleep } from '../../src/core/time.js';
import { createLocalBudgetStore } from '../../src/out/budget-store.js';
import { createSlackBudget, type SlackBudget } from '../../src/out/slack-budget.js';
import { createSlackCall, type SlackCall } from '../../src/out/slack-call.js';

/**
 * A Slack budget in this process's memory (429 pauses only, no pacing), for tests of the writing
 * itself; the shared one in Redis has its own tests (test/out/slack-budget.test.ts).
 */
export const localBudget = (
  o: { now?: () => number; sleep?: Sleep; maxWaitMs?: number; maxRetries?: number } = {},
): SlackBudget => {
  const now = o.now ?? Date.now;
  return createSlackBudget({
    store: createLocalBudgetStore(now),
    team: 'T1',
    logger: pino({ level: 'silent' }),
    now,
    sleep: o.sleep ?? realSleep,
    ...(o.maxWaitMs !== undefined ? { maxWaitMs: o.maxWaitMs } : {}),
    ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}),
  });
};

export const localCall = (o: Parameters<typeof localBudget>[0] = {}): SlackCall =>
  createSlackCall(localBudget(o));
