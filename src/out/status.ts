import type { WebClient } from '@slack/web-api';
import type { ThreadTarget } from '../core/domain.js';
import { isAppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Sleep } from '../core/time.js';
import { pauseUnlessStopped } from './pacing.js';
import { isBudgetSkip } from './slack-budget.js';
import type { SlackCall } from './slack-call.js';
import { slackErrorCode } from './slack-error.js';

/**
 * Assistant thread status ("is thinking…" under the thread), kept alive while the bot works. Slack
 * clears a status after 2 minutes without a message, and also when the app posts in the thread.
 */

export type StatusTarget = Pick<ThreadTarget, 'channelId' | 'threadTs'>;

export interface StatusHandle {
  /** Whether Slack accepted the status (it refuses outside assistant threads or without the scope). */
  readonly shown: boolean;
  /** Stops the keepalive; `clear` also blanks the status (when no reply will clear it). Never rejects. */
  stop(opts?: { clear?: boolean }): Promise<void>;
}

const DEFAULT_STATUS_REFRESH_MS = 90_000;
const DEFAULT_STATUS_MAX_MS = 10 * 60_000;

export interface StatusDeps {
  client: Pick<WebClient, 'assistant'>;
  call: SlackCall;
  logger: Logger;
  now: () => number;
  sleep: Sleep;
  /** Keepalive interval (default 90 s: Slack drops a status after 2 minutes). */
  refreshMs?: number;
  /** How long a status is kept alive at most (default 10 minutes). */
  maxMs?: number;
}

export interface StatusKeeper {
  setStatus(target: StatusTarget, status: string): Promise<StatusHandle>;
  /** The app posted in this thread: Slack cleared its status, so its keepalives stop. */
  postedIn(channel: string, threadTs: string): void;
}

export const createStatusKeeper = (deps: StatusDeps): StatusKeeper => {
  const { client, call, now, sleep, logger: log } = deps;
  const refreshMs = deps.refreshMs ?? DEFAULT_STATUS_REFRESH_MS;
  const maxMs = deps.maxMs ?? DEFAULT_STATUS_MAX_MS;

  // A keepalive refresh after the app posted would bring "is thinking…" back under the answer, so
  // posting in a thread halts its keepalives.
  const keepalives = new Map<string, Set<() => void>>();
  const threadKey = (channel: string, threadTs: string) => `${channel} ${threadTs}`;
  const postedIn = (channel: string, threadTs: string): void => {
    const key = threadKey(channel, threadTs);
    const halts = keepalives.get(key);
    if (!halts) return;
    keepalives.delete(key);
    for (const halt of halts) halt();
  };

  const setStatus = async (target: StatusTarget, status: string): Promise<StatusHandle> => {
    let stopped = false;
    let available = true;
    const stopSleep = new AbortController();
    const key = threadKey(target.channelId, target.threadTs);
    const halt = () => {
      stopped = true;
      stopSleep.abort();
    };
    const forget = () => {
      const halts = keepalives.get(key);
      halts?.delete(halt);
      if (halts?.size === 0) keepalives.delete(key);
    };
    // A keepalive refresh is optional: when the budget is short it is skipped, never waited for. The
    // status may then lapse until the next refresh: the first thing to give way under load.
    const send = async (text: string, refresh = false): Promise<void> => {
      try {
        await call(
          'assistant.threads.setStatus',
          target.channelId,
          () =>
            client.assistant.threads.setStatus({
              channel_id: target.channelId,
              thread_ts: target.threadTs,
              status: text,
            }),
          refresh ? { retryOnRateLimit: false, priority: 'optional' } : { retryOnRateLimit: false },
        );
      } catch (err) {
        // Skipped, or refused for now (a 429, a 5xx): the status lapses until the next refresh.
        if (isBudgetSkip(err) || (refresh && isAppError(err) && err.retryable)) return;
        // Not an assistant thread, or no assistant:write scope: the answer's placeholder covers visibility.
        log.debug(
          { channel: target.channelId, slackError: slackErrorCode(err) },
          'assistant status unavailable',
        );
        available = false;
      }
    };
    await send(status);
    const halts = keepalives.get(key) ?? new Set();
    halts.add(halt);
    keepalives.set(key, halts);
    // Refreshed until stopped, a message is posted in the thread, or maxMs passes (a forgotten
    // handle must not refresh forever).
    const startedAt = now();
    const keepalive = (async () => {
      while (!stopped && available && now() - startedAt < maxMs) {
        await pauseUnlessStopped(sleep, refreshMs, stopSleep.signal);
        if (stopped || !available) break;
        await send(status, true);
      }
      forget();
    })();
    return {
      get shown() {
        return available;
      },
      stop: async (opts) => {
        if (stopped) return;
        halt();
        await keepalive;
        if (opts?.clear && available) await send('');
      },
    };
  };

  return { setStatus, postedIn };
};
