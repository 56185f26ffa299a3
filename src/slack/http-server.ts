import http from 'node:http';
import type { Logger } from '../logger.js';
import type { Metrics, RequestKind } from '../metrics.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface HttpServerDeps {
  /** Bolt's request listener, handed a request whose body is already buffered (`rawBody`). */
  slackListener?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  bodyLimitBytes: number;
  /** Resolves true when Redis answers. */
  healthy: () => Promise<boolean>;
  metrics: Pick<Metrics, 'registry' | 'ackSeconds' | 'requests'>;
  logger: Logger;
}

const kindOf = (req: http.IncomingMessage, body: Buffer): RequestKind => {
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) return 'event';
  const head = body.subarray(0, 2048).toString();
  if (head.startsWith('payload=') || head.includes('&payload=')) return 'action';
  if (head.includes('command=')) return 'command';
  return 'other';
};

/**
 * The process's one HTTP server: Slack's endpoint plus /healthz and /metrics. Bolt's
 * HTTPReceiver buffers whole bodies with no limit, so the body is read here first, with a cap:
 * larger requests get 413 before they are buffered whole.
 */
export const createHttpServer = (deps: HttpServerDeps) => {
  const log = deps.logger.child({ component: 'http' });
  const tooLarge = (req: http.IncomingMessage, res: http.ServerResponse) => {
    deps.metrics.requests.inc({ kind: 'other', outcome: 'rejected' });
    log.warn({ limit: deps.bodyLimitBytes }, 'request body over the limit');
    res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
    res.end('Request body too large');
    res.on('finish', () => req.destroy());
  };

  const handleSlack = (req: http.IncomingMessage, res: http.ServerResponse, started: bigint) => {
    const listener = deps.slackListener;
    if (!listener) {
      res.writeHead(404).end();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > deps.bodyLimitBytes) return tooLarge(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (chunk: Buffer) => {
      if (aborted) return;
      size += chunk.length;
      if (size > deps.bodyLimitBytes) {
        aborted = true;
        req.pause();
        tooLarge(req, res);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      aborted = true;
    });
    req.on('end', () => {
      if (aborted) return;
      const body = Buffer.concat(chunks);
      const kind = kindOf(req, body);
      res.on('finish', () => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        deps.metrics.ackSeconds.observe({ kind, status: String(res.statusCode) }, seconds);
      });
      // Bolt reuses an already-buffered body (bufferIncomingMessage checks `rawBody`).
      Object.assign(req, { rawBody: body });
      try {
        listener(req, res);
      } catch (err) {
        log.error({ err }, 'slack listener failed');
        if (!res.headersSent) res.writeHead(500).end();
      }
    });
  };

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'POST' && url.pathname === SLACK_EVENTS_PATH) return handleSlack(req, res, started);
    if (req.method === 'GET' && url.pathname === '/healthz') {
      deps.healthy().then(
        (ok) => {
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', redis: ok ? 'up' : 'down' }));
        },
        () => res.writeHead(503).end(),
      );
      return;
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      deps.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
          res.end(text);
        },
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
  });
  // Slack gives up on an ack after 3 s; nothing legitimate takes longer to send its body.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;

  return {
    server,
    listen: (port: number, host?: string) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address();
          resolve(typeof addr === 'object' && addr ? addr.port : port);
        });
      }),
    /** Stops accepting connections; resolves when in-flight requests have been answered. */
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
};

export type HttpServer = ReturnType<typeof createHttpServer>;
