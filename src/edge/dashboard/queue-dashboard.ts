import type http from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { Queue } from 'bullmq';
import type { Logger } from '../../core/logger.js';
import { sameToken } from '../http-server.js';
import { NodeHttpAdapter, sendJson } from './node-adapter.js';

/** Where the dashboard is mounted on the web process's main port. */
export const DASHBOARD_PATH = '/admin/queues';

/** Dashboard API calls one process serves at once; more get 503 (each one is Redis work). */
const MAX_IN_FLIGHT = 8;

/**
 * Fields of job data and results that hold people's words, model answers or Slack capabilities
 * (a `response_url` can post into the channel): the dashboard shows their length, never the value,
 * as the logs do.
 */
const HIDDEN = new Set(['text', 'question', 'answer', 'content', 'comment', 'responseUrl', 'triggerId']);

export const redactJobData = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(redactJobData);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      HIDDEN.has(k) && typeof v === 'string' ? `[redacted, ${v.length} characters]` : redactJobData(v),
    ]),
  );
};

export interface QueueDashboardDeps {
  queues: Queue[];
  user: string;
  password: string;
  /** Read-only: jobs can be looked at, not retried, promoted, cleaned or removed. */
  readOnly: boolean;
  logger: Logger;
}

export interface QueueDashboard {
  path: string;
  /** Serves a request whose path is DASHBOARD_PATH or below it. Never throws. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): void;
}

/**
 * bull-board on the web process, behind HTTP basic auth: every request under DASHBOARD_PATH, the
 * page and its static files included, is checked before anything else is done. Credentials are
 * compared in constant time and never logged.
 */
export const createQueueDashboard = (deps: QueueDashboardDeps): QueueDashboard => {
  const log = deps.logger.child({ component: 'queue-dashboard' });
  const adapter = new NodeHttpAdapter(DASHBOARD_PATH);
  createBullBoard({
    queues: deps.queues.map((queue) => {
      const board = new BullMQAdapter(queue, { readOnlyMode: deps.readOnly, allowRetries: !deps.readOnly });
      board.setFormatter('data', redactJobData);
      board.setFormatter('returnValue', redactJobData);
      return board;
    }),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Backchannel queues' } },
  });
  const expected = `Basic ${Buffer.from(`${deps.user}:${deps.password}`).toString('base64')}`;
  let inFlight = 0;
  log.info({ path: DASHBOARD_PATH, readOnly: deps.readOnly, user: deps.user }, 'queue dashboard on');

  return {
    path: DASHBOARD_PATH,
    handle(req, res, path) {
      if (!sameToken(req.headers.authorization ?? '', expected)) {
        // A browser's first request carries none (it then asks for them): only a wrong one is news.
        if (req.headers.authorization === undefined)
          log.debug({ method: req.method }, 'dashboard asks for credentials');
        else log.warn({ method: req.method }, 'dashboard refused: bad credentials');
        res.writeHead(401, {
          'content-type': 'text/plain',
          'www-authenticate': 'Basic realm="Backchannel queues", charset="UTF-8"',
        });
        res.end('Unauthorized');
        return;
      }
      const sub = path.slice(DASHBOARD_PATH.length) || '/';
      // Only API calls do Redis work; the page and its static files are served from memory and disk.
      if (!sub.startsWith('/api/')) return adapter.handle(req, res, sub);
      if (inFlight >= MAX_IN_FLIGHT) return sendJson(res, 503, { error: 'Dashboard busy, try again' });
      inFlight++;
      // A response emits 'close' exactly once, whether it finished or its connection dropped.
      res.once('close', () => inFlight--);
      adapter.handle(req, res, sub);
    },
  };
};
