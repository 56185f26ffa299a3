import { type WebAPICallResult, WebClient, WebClientEvent } from '@slack/web-api';
import type { Logger } from '../core/logger.js';
import { currentWorkspace } from '../core/workspace.js';
import { toSlackLogger } from './slack-logger.js';

/**
 * The Web API client for a chat bot. `@slack/web-api` defaults suit batch scripts, not a bot:
 * 10 retries over ~30 minutes, no request timeout, and on a 429 it pauses its whole request queue
 * (one channel's limit then stalls every other call). Here: a 10 s timeout, 2 quick retries for
 * network errors and 5xx, and 429s rejected at once so the shared budget (`slack-budget.ts`) pauses
 * only that method, in every process.
 */

export interface SlackClientOptions {
  /**
   * The bot token outside any workspace (single-workspace mode). Inside one (core/workspace.ts),
   * every call uses that workspace's token instead; with OAuth there is no other.
   */
  token?: string | undefined;
  /**
   * The Web API base, e.g. `https://slack.com/api/` — config's SLACK_API_URL, which already ends in
   * `/`; methods are appended to it (`…/api/chat.postMessage`). Undefined means Slack's default.
   */
  apiUrl?: string | undefined;
  logger: Logger;
  /** Per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Retries for network errors and HTTP 5xx (default 2). Slack errors (`ok: false`) are never retried. */
  retries?: number;
  /** First retry delay in ms (default 500; doubles, capped at 2 000, with jitter). */
  retryMinDelayMs?: number;
}

export const DEFAULT_SLACK_TIMEOUT_MS = 10_000;

/**
 * A WebClient whose calls carry the token of the workspace the work runs in (a job, a Slack
 * request, a Home re-publish: each enters its team's workspace first), looked up when the work
 * started. A call that names its own token keeps it (e.g. `oauth.v2.access`).
 */
class WorkspaceWebClient extends WebClient {
  override apiCall(method: string, options: Record<string, unknown> = {}): Promise<WebAPICallResult> {
    const workspace = currentWorkspace();
    if (workspace && options.token === undefined)
      return super.apiCall(method, { ...options, token: workspace.botToken });
    return super.apiCall(method, options);
  }
}

export const createSlackClient = (opts: SlackClientOptions): WebClient => {
  const log = opts.logger.child({ component: 'slack-web-api' });
  const minTimeout = opts.retryMinDelayMs ?? 500;
  const client = new WorkspaceWebClient(opts.token, {
    ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}),
    logger: toSlackLogger(opts.logger, 'slack-web-api'),
    timeout: opts.timeoutMs ?? DEFAULT_SLACK_TIMEOUT_MS,
    retryConfig: {
      retries: opts.retries ?? 2,
      factor: 2,
      minTimeout,
      maxTimeout: Math.max(minTimeout, 2000),
      randomize: true,
    },
    rejectRateLimitedCalls: true,
  });
  client.on(WebClientEvent.RATE_LIMITED, (retryAfterSeconds: number, info: { url?: string }) => {
    const method = typeof info?.url === 'string' ? info.url.split('/').pop() : undefined;
    log.debug({ method, retryAfterSeconds }, 'slack answered 429');
  });
  return client;
};
