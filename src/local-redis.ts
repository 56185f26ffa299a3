import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export const isRedisAnswering = async (url: string, timeoutMs = 1_000): Promise<boolean> => {
  const probe = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
};

const hasBinary = (name: string) =>
  spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;

export class LocalRedisUnavailable extends Error {}

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
  const child = spawn(
    'redis-server',
    [
      '--port',
      port || '6379',
      '--bind',
      hostname || '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  child.on('error', (err) =>
    opts.logger.error({ err: { message: err.message } }, 'local redis-server failed'),
  );
  const deadline = Date.now() + 10_000;
  while (!(await isRedisAnswering(opts.url, 300))) {
    if (child.exitCode !== null)
      throw new LocalRedisUnavailable(`local redis-server exited with code ${child.exitCode}`);
    if (Date.now() > deadline)
      throw new LocalRedisUnavailable('local redis-server did not start within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  opts.logger.info({ dir, url: opts.url }, 'started a local redis-server for development (data in ./.data)');
  return {
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};
