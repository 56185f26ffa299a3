import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import type {
  AppControllerRoute,
  AppViewRoute,
  BullBoardQueues,
  ControllerHandlerReturnType,
  IServerAdapter,
  UIConfig,
} from '@bull-board/api/typings/app';
import { readCappedBody } from '../http-body.js';

/** JSON bodies the dashboard sends are a few hundred bytes (a job's new data at most). */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Each job page makes BullMQ read and JSON-parse every job on it, on the event loop. A background
 * answer's job carries up to 2 × 40,000 characters of text. Measured with such jobs on a loaded
 * 2-core machine (median event-loop delay per request): 10 a page 5–17 ms, 25 a page 9–15 ms,
 * 50 a page 28–48 ms. The UI lets a user ask for up to 300, so pages are capped at 25.
 */
export const MAX_JOBS_PER_PAGE = 25;

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

type Route = {
  method: string;
  /** bull-board's routes are Express-style (`/api/queues/:queueName`), which URLPattern reads as is. */
  pattern: URLPattern;
  run: (params: Record<string, string>, req: http.IncomingMessage, res: http.ServerResponse) => void;
};

const html = (template: string, params: Record<string, string>) => {
  const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  // bull-board's index.ejs uses only `<%= name %>` (escaped) and `<%- name %>` (raw, the JSON it
  // has already made safe for a script tag). Anything else means the template changed: fail loudly.
  return template.replace(/<%([=-])\s*(\w+)\s*%>|<%/g, (match, kind?: string, name?: string) => {
    if (!kind || !name || !(name in params)) throw new Error(`unsupported dashboard template tag ${match}`);
    const value = params[name] ?? '';
    return kind === '=' ? escapeHtml(value) : value;
  });
};

export const sendJson = (res: http.ServerResponse, status: number, body: unknown) => {
  if (res.headersSent) return;
  if (status === 204) return void res.writeHead(204).end();
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/**
 * bull-board's server adapter for a plain `node:http` server, so the dashboard needs no web
 * framework: the entry page (its template rendered once, at start-up), the UI's static files
 * (streamed, confined to their folder) and the API routes (query and params as strings, a JSON
 * body of at most 64 KiB). `handle` takes the path below the mount point.
 */
export class NodeHttpAdapter implements IServerAdapter {
  private queues: BullBoardQueues | undefined;
  private uiConfig: UIConfig = {};
  private viewsPath = '';
  private staticRoute = '';
  private staticPath = '';
  private errorHandler: (error: Error) => ControllerHandlerReturnType = () => ({ status: 500, body: {} });
  private readonly routes: Route[] = [];

  constructor(private readonly basePath: string) {}

  setQueues(queues: BullBoardQueues) {
    this.queues = queues;
    return this;
  }
  setViewsPath(viewsPath: string) {
    this.viewsPath = viewsPath;
    return this;
  }
  setStaticPath(staticRoute: string, staticPath: string) {
    this.staticRoute = staticRoute;
    this.staticPath = path.resolve(staticPath);
    return this;
  }
  setUIConfig(config: UIConfig = {}) {
    this.uiConfig = config;
    return this;
  }
  setErrorHandler(handler: (error: Error) => ControllerHandlerReturnType) {
    this.errorHandler = handler;
    return this;
  }

  setEntryRoute(route: AppViewRoute) {
    const { name, params } = route.handler({ basePath: this.basePath, uiConfig: this.uiConfig });
    const page = html(readFileSync(path.join(this.viewsPath, name), 'utf8'), params);
    for (const r of [route.route].flat())
      this.add(route.method, r, (_params, _req, res) => {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'x-frame-options': 'DENY',
        });
        res.end(page);
      });
    return this;
  }

  setApiRoutes(routes: AppControllerRoute[]) {
    for (const route of routes)
      for (const method of [route.method].flat())
        for (const r of [route.route].flat())
          this.add(method, r, (params, req, res) => this.api(route, params, req, res));
    return this;
  }

  /** Serves `sub`, the request path below the mount point. Never throws. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, sub: string) {
    const method = (req.method ?? 'GET').toLowerCase();
    if (method === 'get' && sub.startsWith(`${this.staticRoute}/`)) return this.file(res, sub);
    for (const route of this.routes) {
      const m = route.method === method ? route.pattern.exec({ pathname: sub }) : null;
      if (!m) continue;
      let params: Record<string, string>;
      try {
        params = Object.fromEntries(
          Object.entries(m.pathname.groups).map(([k, v]) => [k, decodeURIComponent(v ?? '')]),
        );
      } catch {
        return sendJson(res, 400, { error: 'Bad path' });
      }
      return route.run(params, req, res);
    }
    sendJson(res, 404, { error: 'Not found' });
  }

  private add(method: string, route: string, run: Route['run']) {
    this.routes.push({ method, pattern: new URLPattern({ pathname: route }), run });
  }

  private api(
    route: AppControllerRoute,
    params: Record<string, string>,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] ??= v;
    if (Number(query.jobsPerPage) > MAX_JOBS_PER_PAGE) query.jobsPerPage = String(MAX_JOBS_PER_PAGE);
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const run = async (body: Record<string, unknown>) => {
      if (!this.queues) throw new Error('dashboard has no queues');
      const out = await route.handler({
        queues: this.queues,
        uiConfig: this.uiConfig,
        query,
        params,
        body,
        headers,
      });
      sendJson(res, out.status ?? 200, out.body);
    };
    const fail = (err: unknown) => {
      const out = this.errorHandler(err instanceof Error ? err : new Error(String(err)));
      sendJson(res, out.status ?? 500, out.body);
    };
    if (req.method === 'GET') return void run({}).catch(fail);
    readCappedBody(req, res, BODY_LIMIT_BYTES, {
      onTooLarge: () => {},
      onBody: (raw) => {
        let body: Record<string, unknown> = {};
        try {
          // The UI sends most actions without a body.
          if (raw.length > 0) body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        } catch {
          return sendJson(res, 400, { error: 'Body is not JSON' });
        }
        run(body).catch(fail);
      },
    });
  }

  private file(res: http.ServerResponse, sub: string) {
    let rel: string;
    try {
      rel = decodeURIComponent(sub.slice(this.staticRoute.length + 1));
    } catch {
      return sendJson(res, 400, { error: 'Bad path' });
    }
    const file = path.resolve(this.staticPath, rel);
    // Only files inside the UI's static folder, whatever `..` or encoded slashes the path holds.
    if (!file.startsWith(this.staticPath + path.sep)) return sendJson(res, 404, { error: 'Not found' });
    stat(file).then(
      (st) => {
        if (!st.isFile()) return sendJson(res, 404, { error: 'Not found' });
        res.writeHead(200, {
          'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
          'content-length': st.size,
          // File names carry a content hash.
          'cache-control': 'private, max-age=86400',
          'x-content-type-options': 'nosniff',
        });
        createReadStream(file)
          .on('error', () => res.destroy())
          .pipe(res);
      },
      () => sendJson(res, 404, { error: 'Not found' }),
    );
  }
}
