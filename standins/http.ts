import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the Slack and OpenAI stand-ins share: a loopback HTTP server, bodies, waiting on records. */

export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

/** An HTTP server whose route errors become a 500 with the error as text, never an unhandled rejection. */
export const createServer = (route: Route): http.Server =>
  http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });

/** Starts `server` on a loopback port (a free one by default) and resolves with the port. */
export const listenOnLoopback = async (server: http.Server, port = 0): Promise<number> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
};

/** Closes the server and every open connection, hung and stalled ones included. */
export const closeServer = async (server: http.Server): Promise<void> => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
};

export const readBody = async (req: http.IncomingMessage, limit = 10 * 1024 * 1024): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
};

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A synchronous probe over a stand-in's records. A probe that returns a Promise would count as
 * truthy at once, so the type refuses one: poll async conditions with `waitFor` from processes.ts.
 */
export type SyncProbe<T> = () => (T extends PromiseLike<unknown> ? never : T) | undefined | null | false;

/**
 * Promises that settle once a probe over a stand-in's records holds: `notify()` after every change
 * re-checks them, so a test waits exactly as long as the bot takes.
 */
export class Waiters {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves with the probe's first truthy value; rejects after `timeoutMs` with `timeoutMessage()`. */
  waitFor<T>(probe: SyncProbe<T>, timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const v = probe();
        if (v === undefined || v === null || v === false) return;
        cleanup();
        resolve(v as T);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(timeoutMessage()));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}
