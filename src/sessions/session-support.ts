import type { Redis } from 'ioredis';
import type { SessionStatus, SessionSupport } from '../out/agent-session.js';
import type { Keys } from './keys.js';

/**
 * How long a workspace stays on the assistant-status fallback before sessions are tried again: an
 * admin who turns sessions on (or declares the app an agent) sees them within the hour, and a
 * workspace without them costs one refused call per hour.
 */
export const SESSIONS_FALLBACK_SECONDS = 3_600;
/** A notice (e.g. the missing stop-event subscription) is logged at most once a day per workspace. */
export const SESSIONS_NOTICE_SECONDS = 86_400;

/**
 * A thread's session status is remembered this long after it was last set: long enough for a
 * background answer queued behind a busy day, short enough that idle threads cost nothing.
 */
export const SESSION_STATUS_SECONDS = 7 * 86_400;

const STATUSES: readonly string[] = ['processing', 'active', 'suspended', 'closed'] satisfies SessionStatus[];

/** out/agent-session.ts's fallback cache, in Redis: every process of a deployment agrees on it. */
export const createSessionSupport = (deps: {
  redis: Redis;
  keys: Pick<Keys, 'sessionsFallback' | 'sessionsNotice' | 'sessionStatus'>;
  fallbackSeconds?: number;
}): SessionSupport => {
  const fallbackSeconds = deps.fallbackSeconds ?? SESSIONS_FALLBACK_SECONDS;
  return {
    isFallback: async (teamId) => (await deps.redis.exists(deps.keys.sessionsFallback(teamId))) === 1,
    fallBack: async (teamId, reason) =>
      (await deps.redis.set(deps.keys.sessionsFallback(teamId), reason, 'EX', fallbackSeconds, 'NX')) ===
      'OK',
    firstNotice: async (teamId, notice) =>
      (await deps.redis.set(
        deps.keys.sessionsNotice(teamId, notice),
        '1',
        'EX',
        SESSIONS_NOTICE_SECONDS,
        'NX',
      )) === 'OK',
    lastStatus: async (t) => {
      const v = await deps.redis.get(deps.keys.sessionStatus(t.teamId, t.channelId, t.threadTs));
      return v !== null && STATUSES.includes(v) ? (v as SessionStatus) : undefined;
    },
    rememberStatus: async (t, status) => {
      await deps.redis.set(
        deps.keys.sessionStatus(t.teamId, t.channelId, t.threadTs),
        status,
        'EX',
        SESSION_STATUS_SECONDS,
      );
    },
  };
};
