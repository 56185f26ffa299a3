import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnRedisServer } from '../src/dev-redis.js';

/** A free TCP port on loopback, chosen by the OS. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });

export interface ThrowawayRedis {
  url: string;
  port: number;
  dir: string;
  child: ChildProcess;
  /** Stops the server; its data directory is removed unless `keepData` (to restart on it). */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

/**
 * Starts a private `redis-server` on a free port, with its data in a fresh temporary folder, for
 * tests, the demo and the bench (the bot's own launcher, `spawnRedisServer`). A missing binary
 * fails loudly: tests that need Redis never skip.
 */
export const startRedis = async (
  opts: { appendonly?: boolean; dir?: string; port?: number } = {},
): Promise<ThrowawayRedis> => {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'backchannel-redis-'));
  // Its own process group: a Ctrl-C in the terminal must not kill Redis before the bots using it stop.
  // Every write is on disk before it is acknowledged, so a restart on `keepData` loses nothing.
  const server = await spawnRedisServer({
    port,
    dir,
    appendonly: opts.appendonly ?? false,
    appendfsync: 'always',
    detached: true,
  });
  const { child } = server;
  process.once('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const stop = async ({ keepData = false }: { keepData?: boolean } = {}) => {
    await server.stop();
    if (!keepData && !opts.dir) rmSync(dir, { recursive: true, force: true });
  };
  return { url: server.url, port, dir, child, stop };
};
