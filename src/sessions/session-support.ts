import type { Redis } from 'ioredis';
import type { SessionSupport } from '../out/agent-session.js';
import type { Keys } from './keys.js';

/**
 * How long a workspace stays on the assistant-status fallback before sessions are tried again: an
 * admin who turns sessions on (or declares the app an agent) sees them within the hour, and a
 * workspace without them costs one refused call per hour.
 */
export const SESSIONS_FALLBACK_SECONDS = 3_600;
/** A notice (e.g. the missing stop-event subscription) is logged at most once a day per workspace. */
export const SESSIONS_NOTICE_SECONDS = 86_400;

/** out/agent-session.ts's fallback cache, in Redis: every process of a deployment agrees on it. */
export const createSessionSupport = (deps: {
  redis: Redis;
  keys: Pick<Keys, 'sessionsFallback' | 'sessionsNotice'>;
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
  };
};
