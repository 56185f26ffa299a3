import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from './core/config.js';
import { errorFields } from './core/errors.js';
import type { Logger } from './core/logger.js';

const answeredByConnect = (): void => {};

export const isRedisAnswering = async (url: string, timeoutMs = 1_000): Promise<boolean> => {
  const probe = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  // A failed connect is also emitted as 'error', which Node throws when nothing listens; the
  // probe's answer is connect()'s rejection below, so the event has nothing to add.
  probe.on('error', answeredByConnect);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    // Nothing answering there: that is the answer, not a failure.
    return false;
  } finally {
    probe.disconnect();
  }
};

const hasBinary = (name: string) =>
  spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;

export class LocalRedisUnavailable extends Error {}

export interface RedisServer {
  child: ChildProcess;
  url: string;
  /** SIGTERM (Redis then flushes its append-only file), SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Redis says this once it accepts connections. */
const READY = 'Ready to accept connections';
/** How much of redis-server's output is kept for an error message. */
const OUTPUT_TAIL = 4096;

/**
 * Starts `redis-server` as a child on `bind:port` with its data in `dir`, and resolves once it
 * accepts connections. Keys are never evicted (`noeviction`: BullMQ requires it) and no RDB
 * snapshots are written. One launcher for the development fallback below and for the throwaway
 * servers of tests, the demo and the bench.
 */
export const spawnRedisServer = async (opts: {
  port: number;
  bind?: string;
  dir: string;
  appendonly: boolean;
  appendfsync?: 'always' | 'everysec';
  /** Its own process group: a Ctrl-C in the terminal then reaches the processes using it first. */
  detached?: boolean;
}): Promise<RedisServer> => {
  const bind = opts.bind ?? '127.0.0.1';
  const args = [
    ...['--port', String(opts.port), '--bind', bind, '--dir', opts.dir, '--save', ''],
    ...['--appendonly', opts.appendonly ? 'yes' : 'no', '--appendfsync', opts.appendfsync ?? 'everysec'],
    ...['--maxmemory-policy', 'noeviction'],
  ];
  const child = spawn('redis-server', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => done(new LocalRedisUnavailable(`redis-server did not start within 10 s:\n${out}`)),
      10_000,
    );
    const onError = (err: NodeJS.ErrnoException) =>
      done(
        new LocalRedisUnavailable(
          err.code === 'ENOENT'
            ? 'redis-server is not on PATH: install it (e.g. "apt-get install redis-server" or "brew install redis")'
            : `redis-server could not start: ${err.message}`,
        ),
      );
    const onExit = (code: number | null) =>
      done(new LocalRedisUnavailable(`redis-server exited with code ${code}:\n${out}`));
    const onData = () => {
      if (out.includes(READY)) done();
    };
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.off('error', onError).off('exit', onExit);
      child.stdout?.off('data', onData);
      if (err) reject(err);
      else resolve();
    };
    child.once('error', onError).once('exit', onExit);
    child.stdout?.on('data', onData);
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  return { child, url: `redis://${bind}:${opts.port}`, stop };
};

/**
 * Development convenience: when no Redis answers on the default address, start a local
 * `redis-server` child with its data under ./.data (append-only file on), so `npm start` works on
 * a fresh machine. Never used in production, where a missing Redis is an error.
 */
export const startLocalRedis = async (opts: {
  url: string;
  dataDir: string;
  logger: Logger;
}): Promise<{ child: ChildProcess; stop: () => Promise<void> }> => {
  const { port, hostname } = new URL(opts.url);
  if (!hasBinary('redis-server')) {
    throw new LocalRedisUnavailable(
      `No Redis answers at ${opts.url} and redis-server is not on PATH: install it (e.g. "apt-get install redis-server" or "brew install redis") or set REDIS_URL.`,
    );
  }
  const dir = path.resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const server = await spawnRedisServer({
    port: Number(port || 6379),
    bind: hostname || '127.0.0.1',
    dir,
    appendonly: true,
  });
  server.child.on('error', (err) =>
    opts.logger.error({ err: errorFields(err) }, 'local redis-server failed'),
  );
  opts.logger.info({ dir, url: opts.url }, 'started a local redis-server for development (data in ./.data)');
  return { child: server.child, stop: server.stop };
};

/**
 * Where the app's Redis is: REDIS_URL; without it the default address, where outside production a
 * local `redis-server` child is started when nothing answers. `stopLocal` ends that child, if any.
 */
export const resolveRedis = async (
  config: Pick<Config, 'redis' | 'production'>,
  opts: { dataDir: string; logger: Logger },
): Promise<{ url: string; stopLocal: () => Promise<void> }> => {
  const url = config.redis.url ?? config.redis.defaultUrl;
  if (config.redis.url || (await isRedisAnswering(url))) return { url, stopLocal: async () => {} };
  if (config.production)
    throw new Error(`No Redis answers at ${url}; set REDIS_URL (production never starts its own Redis)`);
  const local = await startLocalRedis({ url, dataDir: opts.dataDir, logger: opts.logger });
  return { url, stopLocal: local.stop };
};
