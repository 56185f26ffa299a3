import { WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { sleep as realSleep, type Sleep } from '../core/time.js';
import type { BucketKey, BudgetStore, Priority, Take } from './budget-store.js';
import { type MethodLimit, SLACK_LIMITS } from './slack-limits.js';

export type { Priority } from './budget-store.js';

/**
 * One Slack budget per workspace, shared by every process (budget-store.ts keeps it in Redis).
 * Each call takes a token of its (team, method) bucket, or (team, method, channel) for methods
 * Slack limits per channel, before it goes out:
 * - foreground (the answer a user watches) may take the last tokens, and a token still refilling,
 *   waiting for it;
 * - background waits until the bucket holds more than foreground's reserve: it is never dropped;
 * - optional writes (status keepalives, Home re-publishes nobody asked for) are skipped when the
 *   bucket is short, before anything else has to wait.
 * A 429 pauses that bucket for its Retry-After in every process, and nothing else; the call then
 * retries. The WebClient is built with `rejectRateLimitedCalls: true` (web-client.ts), because its
 * own handling would pause every call through the client for one method's limit.
 */

export interface RunOptions {
  /** False for calls with a better plan than waiting (startStream falls back to a posted message). */
  retryOnRateLimit?: boolean;
  /** Default: the budget's own (the role's: foreground on the web role, background on a worker). */
  priority?: Priority;
  /** A wait longer than this is not waited out: the caller gets a rate-limited error. */
  maxWaitMs?: number;
}

export type BudgetRun = <T>(
  method: string,
  channel: string,
  call: () => Promise<T>,
  opts?: RunOptions,
) => Promise<T>;

export interface SlackBudget {
  run: BudgetRun;
  /** The same budget with another default priority (a worker's badges, a web role's background work). */
  withPriority(priority: Priority): SlackBudget;
}

export type BudgetMetrics = Pick<
  Metrics,
  'slackBudgetTokens' | 'slackBudgetWaits' | 'slackBudgetSkipped' | 'slackRateLimited'
>;

export interface SlackBudgetDeps {
  store: BudgetStore;
  /** The workspace whose budget a call spends: fixed, or read at each call (the workspace it runs in). */
  team: string | (() => string);
  logger: Logger;
  metrics?: BudgetMetrics;
  /** Slack's limits per method (default: slack-limits.ts). */
  limits?: Readonly<Record<string, MethodLimit>>;
  /** Multiplies every rate (config's SLACK_BUDGET_SCALE; 1 against Slack). */
  scale?: number;
  now?: () => number;
  sleep?: Sleep;
  /** 429s retried per call before giving up (default 3). */
  maxRetries?: number;
  /** Longest wait for a token or a pause (default 60 s); beyond it the caller gets the error. */
  maxWaitMs?: number;
}

/**
 * The same for background calls: a background answer waits for its budget rather than fail,
 * however many workers queue for the same method; its job's lock is renewed meanwhile.
 */
const BACKGROUND_MAX_WAIT_MS = 600_000;

/** An optional write the budget skipped: nothing went to Slack, and nothing is wrong. */
export class BudgetSkip extends Error {
  constructor(readonly method: string) {
    super(`Slack ${method} skipped: its budget is short`);
    this.name = 'BudgetSkip';
  }
}

export const isBudgetSkip = (err: unknown): err is BudgetSkip => err instanceof BudgetSkip;

/** Seconds to wait when Slack said "rate limited", or undefined when the error is something else. */
export const retryAfterSeconds = (err: unknown): number | undefined => {
  if (err instanceof WebAPIRateLimitedError) return err.retryAfter >= 0 ? err.retryAfter : 1;
  // Some methods answer HTTP 200 with `ratelimited` in the body instead of a 429.
  if (
    err instanceof WebAPIPlatformError &&
    (err.data.error === 'ratelimited' || err.data.error === 'rate_limited')
  ) {
    const hint = err.data.response_metadata?.retryAfter;
    return typeof hint === 'number' && hint >= 0 ? hint : 1;
  }
  return undefined;
};

/** The WebClient's own rate-limit error, for a call refused before it went out. */
const rateLimitedError = (method: string, waitMs: number): WebAPIRateLimitedError => {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  const err = new WebAPIRateLimitedError(retryAfter);
  err.message = `A rate limit is in effect for ${method} (retry after ${retryAfter} s)`;
  return err;
};

export const createSlackBudget = (deps: SlackBudgetDeps): SlackBudget => {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const maxRetries = deps.maxRetries ?? 3;
  const defaultMaxWait = deps.maxWaitMs ?? 60_000;
  const scale = deps.scale ?? 1;
  const limits = Object.fromEntries(
    Object.entries(deps.limits ?? SLACK_LIMITS).map(([m, l]) => [
      m,
      { ...l, perMinute: l.perMinute * scale },
    ]),
  );
  const log = deps.logger.child({ component: 'slack-budget' });
  let storeDownLogged = false;

  const { team: fixedOrCurrent } = deps;
  const teamOf = typeof fixedOrCurrent === 'string' ? () => fixedOrCurrent : fixedOrCurrent;
  const keyOf = (method: string, channel: string): BucketKey => {
    const team = teamOf();
    return limits[method]?.perChannel ? { team, method, channel } : { team, method };
  };

  /** Redis down must not stop Slack writes: the call goes unpaced, and the outage is logged once. */
  const take = async (req: Parameters<BudgetStore['take']>[0]): Promise<Take> => {
    try {
      const res = await deps.store.take(req);
      storeDownLogged = false;
      if (res.tokens !== undefined)
        deps.metrics?.slackBudgetTokens.set({ method: req.key.method }, res.tokens);
      return res;
    } catch (err) {
      if (!storeDownLogged) log.warn({ err: errorFields(err) }, 'slack budget unavailable; calling unpaced');
      storeDownLogged = true;
      return { ok: true, waitMs: 0, tokens: undefined };
    }
  };

  /**
   * Takes this call's token, waiting for it when `wait`; throws BudgetSkip for an optional call the
   * budget has no room for, and a rate-limited error for a call that may not wait (or not that long).
   */
  const acquire = async (
    method: string,
    key: BucketKey,
    priority: Priority,
    wait: boolean,
    maxWaitMs: number,
  ): Promise<void> => {
    const deadline = now() + maxWaitMs;
    let counted = false;
    for (;;) {
      const res = await take({ key, limit: limits[method], priority, oweMs: wait ? maxWaitMs : 0 });
      if (res.ok && res.waitMs <= 0) return;
      if (priority === 'optional' && !res.ok) {
        deps.metrics?.slackBudgetSkipped.inc({ method });
        throw new BudgetSkip(method);
      }
      const left = deadline - now();
      if (!res.ok && (!wait || res.waitMs > left)) throw rateLimitedError(method, res.waitMs);
      if (!counted) deps.metrics?.slackBudgetWaits.inc({ method, priority });
      counted = true;
      // Background waiters poll: a little jitter keeps a crowd of them from waking together.
      const jitter = res.ok || priority === 'foreground' ? 0 : Math.floor(Math.random() * 50);
      await sleep(res.waitMs + jitter);
      if (res.ok) return;
    }
  };

  const build = (priority: Priority): SlackBudget => {
    const run: BudgetRun = async (method, channel, call, opts = {}) => {
      const wait = opts.retryOnRateLimit ?? true;
      const prio = opts.priority ?? priority;
      const maxWaitMs = opts.maxWaitMs ?? (prio === 'background' ? BACKGROUND_MAX_WAIT_MS : defaultMaxWait);
      const key = keyOf(method, channel);
      for (let attempt = 0; ; attempt++) {
        await acquire(method, key, prio, wait && prio !== 'optional', maxWaitMs);
        try {
          return await call();
        } catch (err) {
          const seconds = retryAfterSeconds(err);
          if (seconds === undefined) throw err;
          deps.metrics?.slackRateLimited.inc({ method });
          await deps.store.pause(key, seconds * 1000).catch((e: unknown) => {
            log.warn({ err: errorFields(e) }, 'could not record a slack pause');
          });
          log.warn(
            { method, channel, retryAfterSeconds: seconds, attempt },
            'slack rate limited this method',
          );
          if (!wait || prio === 'optional' || attempt >= maxRetries || seconds * 1000 > maxWaitMs) throw err;
        }
      }
    };
    return { run, withPriority: build };
  };
  return build('foreground');
};
