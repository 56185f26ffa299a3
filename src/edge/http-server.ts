import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics, RequestKind } from '../core/metrics.js';
import { screenSlackRequest } from './envelope.js';
import { readCappedBody } from './http-body.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface HttpServerDeps {
  /** Bolt's request listener, handed a request whose body is already buffered and screened. */
  slack?: {
    listener: (req: http.IncomingMessage, res: http.ServerResponse) => void;
    signingSecret: string;
    /**
     * OAuth: GET paths (the install page and Slack's redirect back) handed to `listener` as they
     * are. Browser requests: no body and no signature; Bolt's installer checks the state instead.
     */
    installPaths?: readonly string[] | undefined;
  };
  bodyLimitBytes: number;
  /** Resolves true when Redis answers. */
  healthy: () => Promise<boolean>;
  metrics: Pick<Metrics, 'registry' | 'ackSeconds' | 'requests'>;
  /** `/metrics` on its own listener instead of the main one (0 picks a free port). */
  metricsPort?: number | undefined;
  /** Bearer token `/metrics` requires wherever it is served. */
  metricsToken?: string | undefined;
  /** The queue dashboard, when it is on: every request at or below `path`, on the main listener. */
  dashboard?: {
    path: string;
    handle: (req: http.IncomingMessage, res: http.ServerResponse, path: string) => void;
  };
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
 * The path of a request target, or undefined when it is not one we can read. Origin-form starts
 * with exactly one `/` (`//x` and `/\x` would be read as a host by URL parsers); absolute-form is
 * accepted; `*` and authority-form are not.
 */
export const targetPath = (target: string | undefined): string | undefined => {
  if (target === undefined) return undefined;
  const absolute = /^https?:\/\//i.test(target);
  if (!absolute && !/^\/(?:$|[^/\\])/.test(target)) return undefined;
  return URL.parse(target, 'http://localhost')?.pathname;
};

const plain = (res: http.ServerResponse, status: number, text: string) => {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
};

/** Same length digests, so the comparison takes the same time whatever the token sent. */
export const sameToken = (given: string, expected: string): boolean =>
  timingSafeEqual(
    createHash('sha256').update(given).digest(),
    createHash('sha256').update(expected).digest(),
  );

/**
 * The process's HTTP server: Slack's endpoint plus /healthz and /metrics (or /metrics on a listener
 * of its own). Bolt's HTTPReceiver buffers a whole body before it checks anything (Bolt 5 stops at
 * its `defaultBodyLimit`, 4 MB, with a bare 413), so the body is read here first, with our cap and a
 * drained 413, and screened (signature, parse, shape) before Bolt sees it. No request, however
 * malformed, can throw out of here: a bad target gets 400, bad HTTP 400 and a closed connection.
 */
export const createHttpServer = (deps: HttpServerDeps) => {
  const log = deps.logger.child({ component: 'http' });

  const serveMetrics = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const auth = req.headers.authorization ?? '';
    if (deps.metricsToken !== undefined && !sameToken(auth, `Bearer ${deps.metricsToken}`)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Unauthorized');
      return;
    }
    deps.metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
        res.end(text);
      },
      (err: unknown) => {
        log.error({ err: errorFields(err) }, 'could not render metrics');
        plain(res, 500, 'Metrics unavailable');
      },
    );
  };

  const handleSlack = (req: http.IncomingMessage, res: http.ServerResponse, started: bigint) => {
    const slack = deps.slack;
    if (!slack) return plain(res, 404, 'Not found');
    readCappedBody(req, res, deps.bodyLimitBytes, {
      onTooLarge: () => {
        deps.metrics.requests.inc({ kind: 'other', outcome: 'rejected' });
        log.warn({ limit: deps.bodyLimitBytes }, 'request body over the limit');
      },
      onBody: (body) => {
        const kind = kindOf(req, body);
        res.on('finish', () => {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          deps.metrics.ackSeconds.observe({ kind, status: String(res.statusCode) }, seconds);
        });
        const screened = screenSlackRequest({
          signingSecret: slack.signingSecret,
          headers: req.headers,
          rawBody: body,
        });
        if (screened.action === 'answer') {
          const refused = screened.status >= 400 || screened.json !== undefined;
          if (refused) {
            deps.metrics.requests.inc({ kind, outcome: 'rejected' });
            log.warn({ status: screened.status, why: screened.reason, kind }, 'slack request refused');
          } else log.info({ why: screened.reason, kind }, 'slack request acknowledged, nothing to do');
          if (screened.json === undefined) res.writeHead(screened.status).end();
          else {
            res.writeHead(screened.status, { 'content-type': 'application/json' });
            res.end(JSON.stringify(screened.json));
          }
          return;
        }
        // Bolt reuses an already-buffered body (bufferIncomingMessage checks `rawBody`) and routes on
        // the path alone: hand it the one it knows, whatever form the target had.
        Object.assign(req, { rawBody: body, url: SLACK_EVENTS_PATH });
        slack.listener(req, res);
      },
    });
  };

  const route = (req: http.IncomingMessage, res: http.ServerResponse, metricsHere: boolean) => {
    const started = process.hrtime.bigint();
    const path = targetPath(req.url);
    if (path === undefined) return plain(res, 400, 'Bad request target');
    if (req.method === 'POST' && path === SLACK_EVENTS_PATH) return handleSlack(req, res, started);
    if (req.method === 'GET' && deps.slack?.installPaths?.includes(path))
      return deps.slack.listener(req, res);
    if (req.method === 'GET' && path === '/healthz') {
      deps.healthy().then(
        (ok) => {
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', redis: ok ? 'up' : 'down' }));
        },
        () => plain(res, 503, 'Unavailable'),
      );
      return;
    }
    if (metricsHere && req.method === 'GET' && path === '/metrics') return serveMetrics(req, res);
    const board = deps.dashboard;
    if (board && (path === board.path || path.startsWith(`${board.path}/`)))
      return board.handle(req, res, path);
    plain(res, 404, 'Not found');
  };

  /** A request handler nothing can throw out of: an exception would end the process. */
  const guarded =
    (handle: (req: http.IncomingMessage, res: http.ServerResponse) => void) =>
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      try {
        handle(req, res);
      } catch (err) {
        log.error({ err: errorFields(err), method: req.method }, 'request handler failed');
        plain(res, 400, 'Bad request');
      }
    };

  // Malformed HTTP never reaches a handler: Node's parser reports it here. Answer and close.
  const onClientError = (err: Error & { code?: string }, socket: Duplex) => {
    // As Node's own handler: no error answer over a response already under way on this socket.
    const inFlight = (socket as Duplex & { _httpMessage?: { _headerSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?._headerSent) {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    log.debug({ code: err.code }, 'malformed HTTP request');
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  };

  const build = (handle: (req: http.IncomingMessage, res: http.ServerResponse) => void, what: string) => {
    const server = http.createServer(
      // Slack gives up on an ack after 3 s; nothing legitimate takes longer to send its body. The
      // check interval makes those timeouts bite within a second instead of Node's default 30 s.
      { requestTimeout: 10_000, headersTimeout: 5_000, connectionsCheckingInterval: 1_000 },
      guarded(handle),
    );
    server.on('clientError', onClientError);
    // `Expect: 100-continue` with a declared body over the cap: refused before the body is sent.
    server.on(
      'checkContinue',
      guarded((req, res) => {
        if (Number(req.headers['content-length'] ?? 0) > deps.bodyLimitBytes) {
          res.writeHead(413, { connection: 'close' }).end();
          return;
        }
        res.writeContinue();
        handle(req, res);
      }),
    );
    server.on('error', (err) => log.error({ err: errorFields(err), what }, 'http server error'));
    return server;
  };

  const separateMetrics = deps.metricsPort !== undefined;
  const servers = [build((req, res) => route(req, res, !separateMetrics), 'main')];
  if (separateMetrics)
    servers.push(
      build((req, res) => {
        if (req.method === 'GET' && targetPath(req.url) === '/metrics') return serveMetrics(req, res);
        plain(res, 404, 'Not found');
      }, 'metrics'),
    );

  const listenOne = (server: http.Server, port: number, host?: string) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });

  return {
    server: servers[0]!,
    /** The port `/metrics` listens on when it has its own (known once listening). */
    metricsPort: undefined as number | undefined,
    async listen(port: number, host?: string): Promise<number> {
      const bound = await listenOne(servers[0]!, port, host);
      if (servers[1]) this.metricsPort = await listenOne(servers[1], deps.metricsPort ?? 0, host);
      return bound;
    },
    /** Stops accepting connections; resolves when in-flight requests have been answered. */
    close: () =>
      Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              if (!server.listening) return resolve();
              server.close(() => resolve());
              server.closeIdleConnections();
            }),
        ),
      ).then(() => {}),
  };
};

export type HttpServer = ReturnType<typeof createHttpServer>;
