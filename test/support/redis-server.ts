import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

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
 * Starts a private `redis-server` on a free port for tests. A missing binary fails loudly:
 * tests that need Redis never skip.
 */
export const startRedis = async (
  opts: { appendonly?: boolean; dir?: string; port?: number } = {},
): Promise<ThrowawayRedis> => {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'backchannel-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    opts.appendonly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
    '--protected-mode',
    'no',
  ];
  // Its own process group: a Ctrl-C in the terminal must not kill Redis before the bots using it stop.
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  process.once('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) =>
      reject(new Error(`redis-server could not start (is it installed and on PATH?): ${err.message}`));
    child.once('error', onError);
    child.once('exit', (code) => reject(new Error(`redis-server exited early with ${code}:\n${out}`)));
    const deadline = Date.now() + 10_000;
    const poll = () => {
      if (out.includes('Ready to accept connections')) {
        child.off('error', onError);
        child.removeAllListeners('exit');
        resolve();
      } else if (Date.now() > deadline) reject(new Error(`redis-server did not become ready:\n${out}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
  const stop = async ({ keepData = false }: { keepData?: boolean } = {}) => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    }
    if (!keepData && !opts.dir) rmSync(dir, { recursive: true, force: true });
  };
  return { url: `redis://127.0.0.1:${port}`, port, dir, child, stop };
};
