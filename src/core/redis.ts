import { Redis, type RedisOptions } from 'ioredis';
import { errorFields } from './errors.js';
import type { Logger } from './logger.js';
import { withTimeout } from './time.js';

/**
 * Redis connections. The producer fails fast when Redis is down (no offline queue), so the
 * Slack ack path can answer 5xx / "try again" at once instead of hanging; worker connections
 * wait and retry forever, as BullMQ requires (`maxRetriesPerRequest: null`).
 */
export type RedisRole = 'producer' | 'worker';

const baseOptions = (role: RedisRole): RedisOptions => ({
  lazyConnect: false,
  enableOfflineQueue: role === 'worker',
  maxRetriesPerRequest: role === 'worker' ? null : 1,
  connectTimeout: 2_000,
  // Reconnect forever with a capped delay: Redis coming back must heal the process on its own.
  retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
});

export const createRedis = (url: string, role: RedisRole, logger: Logger): Redis => {
  const log = logger.child({ component: 'redis', role });
  const redis = new Redis(url, baseOptions(role));
  let down = false;
  redis.on('error', (err: Error) => {
    // ioredis emits an error per failed reconnect; log once per outage.
    if (!down) log.warn({ err: errorFields(err) }, 'redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis connection restored');
    down = false;
  });
  return redis;
};

/** Resolves once the connection is ready (a fail-fast producer rejects commands until then). */
export const waitUntilReady = (redis: Redis, timeoutMs = 10_000): Promise<void> =>
  redis.status === 'ready'
    ? Promise.resolve()
    : withTimeout(
        new Promise<void>((resolve) => redis.once('ready', () => resolve())),
        timeoutMs,
        'redis connection',
      );

/** Resolves when `PING` answers within `timeoutMs`; rejects otherwise. */
export const pingRedis = async (redis: Redis, timeoutMs = 1_000): Promise<void> => {
  await withTimeout(redis.ping(), timeoutMs, 'redis ping');
};

/**
 * A command that failed because of the connection, not the command: a later attempt can succeed.
 * The fail-fast producer rejects with "…enableOfflineQueue…" while disconnected, a closed socket with
 * "Connection is closed.", and a command past its retries with MaxRetriesPerRequestError; a Redis
 * still loading its AOF answers LOADING.
 */
export const isRedisConnectionError = (err: unknown): boolean =>
  err instanceof Error &&
  (err.name === 'MaxRetriesPerRequestError' ||
    /enableOfflineQueue|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|^LOADING /.test(err.message));
