import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { createFeedbackStore } from '../../src/sessions/feedback.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createRequestStore } from '../../src/sessions/requests.js';
import { waitFor } from './processes.js';
import type { Stack } from './stack.js';

/** What a stack's Redis holds for a user's requests (records, queued cap, running slots). */
export const redisState = (s: Stack) => {
  const redis = new Redis(s.env.REDIS_URL ?? '');
  onTestFinished(() => redis.disconnect());
  const keys = createKeys(s.prefix);
  const requests = createRequestStore({ redis, keys, retentionSeconds: 3_600 });
  const feedback = createFeedbackStore({ redis, keys, retentionSeconds: 3_600 });
  const team = s.slack.teamId;
  return {
    redis,
    keys,
    /** The request id of a user's message. */
    idOf: (channel: string, ts: string) => `${team}:${channel}:${ts}`,
    record: (id: string) => requests.get(id),
    result: (id: string) => requests.getResult(id),
    queued: (user: string) => redis.zcard(keys.userQueued(team, user)),
    running: (user: string) => redis.zcard(keys.userRunning(team, user)),
    /** The request whose answer the message is (feedback clicks on it count for that request). */
    answerAt: (channel: string, ts: string) => feedback.answerAt(channel, ts),
    /** A request's ratings as stored: `vote:<user>` and `comment:<user>`. */
    ratings: (id: string) => redis.hgetall(keys.requestFeedback(id)),
  };
};

/** Polls an async probe every 100 ms until it returns something truthy (`waitFor` with positional options). */
export const until = <T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 8_000,
  what = 'condition',
): Promise<T> => waitFor(probe, { timeoutMs, intervalMs: 100, what: `${what} (${timeoutMs} ms)` });
