import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

/**
 * `npm run playground` as a user starts it: the built `dist/tools/playground.js` as a child process on
 * a free port, ready when it prints its URL. Stopping it is SIGTERM (it stops Redis, the stand-ins and
 * the bot processes itself), then SIGKILL after a deadline so a hung playground never outlives the test.
 */
export interface Playground {
  url: string;
  /** The child's last output lines, for failure messages. */
  tail(): string;
  stop(): Promise<void>;
}

const READY = /Playground: (http:\/\/127\.0\.0\.1:\d+\/)/;
const root = path.resolve(import.meta.dirname, '..', '..');

export const startPlayground = (
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<Playground> => {
  const child: ChildProcess = spawn(process.execPath, [path.join(root, 'dist', 'tools', 'playground.js')], {
    cwd: root,
    env: { ...process.env, PLAYGROUND_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const tail = () => lines.slice(-40).join('\n');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the playground printed no URL within ${timeoutMs} ms:\n${tail()}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        lines.push(line);
        if (lines.length > 200) lines.shift();
        const url = READY.exec(line)?.[1];
        if (url) {
          clearTimeout(timer);
          resolve({ url, tail, stop });
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the playground exited (${signal ?? code}) before printing its URL:\n${tail()}`));
    });
  });
};
