import type http from 'node:http';
import { App, HTTPReceiver, type Receiver, ReceiverMultipleAckError, SocketModeReceiver } from '@slack/bolt';
import type { Config } from '../core/config.js';
import { dispositionOf } from '../core/disposition.js';
import type { SlackIdentity } from '../core/domain.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { SpanKind, withSpan } from '../core/tracing.js';
import { inWorkspace } from '../core/workspace.js';
import { toSlackLogger } from '../out/slack-logger.js';
import { isNotInstalled } from '../sessions/installations.js';
import { createOAuth, type OAuth, type OAuthStores, oauthReceiverOptions } from './oauth/oauth.js';

export interface SlackAppDeps {
  config: Pick<Config, 'slack'>;
  /** Single-workspace mode: who the bot is (one auth.test at start-up). */
  identity?: SlackIdentity;
  /** OAuth mode (`config.slack.oauth`): where Bolt's installer keeps installations and states. */
  oauthStores?: OAuthStores;
  logger: Logger;
}

export interface SlackApp {
  app: App;
  /** HTTP mode: the listener our own server hands buffered Slack requests to. */
  httpListener?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** OAuth mode: Bolt's installer, and the per-team lookup jobs use. */
  oauth?: OAuth;
  /** OAuth in HTTP mode: the GET paths (install page, redirect) our server hands to `httpListener`. */
  installPaths?: readonly string[];
  /** Socket Mode: connects to Slack. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * True when the error, or one of several listeners' errors (Bolt wraps them in `originals`, or one
 * in `original`), is to be retried: Redis is down, so the request was not stored, and Slack's
 * redelivery is its next attempt.
 */
export const wantsRedelivery = (err: unknown): boolean => {
  if (dispositionOf(err) === 'retry') return true;
  if (typeof err !== 'object' || err === null) return false;
  const originals: unknown = Reflect.get(err, 'originals');
  if (Array.isArray(originals)) return originals.some(wantsRedelivery);
  const original: unknown = Reflect.get(err, 'original');
  return original !== undefined && wantsRedelivery(original);
};

/**
 * The root span of each Slack request, around every middleware and listener (so the claim, the
 * durable write and the intake job it enqueues belong to it). Named by what Slack sent, never its text.
 */
const traceRequests = (app: App) =>
  app.use((args) => {
    const b = args.body as {
      type?: unknown;
      command?: unknown;
      event?: { type?: unknown };
      team_id?: unknown;
    };
    const kind = [b.command, b.event?.type, b.type].find((v) => typeof v === 'string') ?? 'unknown';
    const team = typeof b.team_id === 'string' ? { 'slack.team_id': b.team_id } : {};
    return withSpan(`slack ${String(kind)}`, team, () => args.next(), SpanKind.SERVER);
  });

/**
 * Each Slack request runs in the workspace Bolt authorized it for (its bot token and identity, from
 * the settings or, with OAuth, the team's installation), like a job does (core/workspace.ts).
 */
const enterWorkspace = (app: App) =>
  app.use(({ context, next }) => {
    const { botToken, botUserId, botId, teamId, enterpriseId } = context;
    if (!botToken || !botUserId || !botId || !teamId) return next();
    const workspace = { teamId, botToken, botUserId, botId, ...(enterpriseId ? { enterpriseId } : {}) };
    return inWorkspace(workspace, next);
  });

/**
 * Bolt, in one of two modes. HTTP: `processBeforeResponse`, so the ack is sent only after the
 * listener finished its durable write (and a failure becomes a 5xx Slack redelivers). Socket Mode
 * acks each envelope before listeners run, by Bolt's design.
 */
export const createSlackApp = ({ config, identity, oauthStores, logger }: SlackAppDeps): SlackApp => {
  const boltLogger = toSlackLogger(logger, 'bolt');
  const clientOptions = config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {};
  const oauthConfig = config.slack.oauth;
  if (oauthConfig && !oauthStores) throw new Error('OAuth mode needs the installation and state stores');
  if (!oauthConfig && !identity) throw new Error('single-workspace mode needs the bot identity');
  // OAuth: Bolt's installer authorizes each request from the team's installation (and refreshes a
  // rotating token). One workspace: identity comes from one auth.test at start-up, so no Slack call
  // ever runs on the ack path.
  const oauthOptions =
    oauthConfig && oauthStores ? oauthReceiverOptions(oauthConfig, oauthStores, clientOptions) : undefined;
  const authorize =
    oauthOptions || !identity
      ? undefined
      : async () => ({
          botToken: config.slack.botToken,
          botId: identity.botId,
          botUserId: identity.botUserId,
          teamId: identity.teamId,
        });

  const log = logger.child({ component: 'slack' });
  const newApp = (receiver: Receiver) => {
    const app = new App({ receiver, ...(authorize ? { authorize } : {}), logger: boltLogger, clientOptions });
    traceRequests(app);
    enterWorkspace(app);
    // Bolt's final destination for listener errors. Rethrown, an error becomes a 5xx and Slack
    // redelivers: right when Redis is down (the request was not stored), wrong for anything else (a
    // redelivery would fail the same way, and Slack disables apps whose deliveries keep failing).
    app.error(async (error) => {
      // OAuth: an event from a workspace with no installation (uninstalled; Slack may still send a
      // few). Bolt runs no listener and acknowledges it: a quiet 200, so Slack does not retry.
      if (isNotInstalled(error)) {
        log.info({ err: errorFields(error) }, 'request from a workspace with no installation; acknowledged');
        return;
      }
      log.error({ err: errorFields(error) }, 'slack listener error');
      if (wantsRedelivery(error)) throw error;
    });
    return app;
  };

  if (config.slack.socketMode && config.slack.appToken) {
    // Socket Mode with OAuth: Bolt serves the install page and redirect on a port of its own.
    const receiver = new SocketModeReceiver({
      appToken: config.slack.appToken,
      logger: boltLogger,
      ...oauthOptions,
      // Bolt ignores clientOptions.slackApiUrl for apps.connections.open.
      installerOptions: {
        clientOptions,
        ...oauthOptions?.installerOptions,
        ...(oauthConfig ? { port: oauthConfig.installPort } : {}),
      },
    });
    const app = newApp(receiver);
    return {
      app,
      ...(receiver.installer ? { oauth: createOAuth(receiver.installer) } : {}),
      start: async () => {
        await app.start();
      },
      stop: async () => {
        await app.stop();
      },
    };
  }

  const receiver = new HTTPReceiver({
    ...oauthOptions,
    signingSecret: config.slack.signingSecret ?? '',
    endpoints: '/slack/events',
    processBeforeResponse: true,
    logger: boltLogger,
    // Bolt's default answers 500 to anything that throws while it processes a request. Only "Redis
    // is down" deserves a 5xx (Slack redelivers it); anything else is a body Bolt could not handle.
    processEventErrorHandler: async ({ error, response }) => {
      if (response.headersSent) return true;
      const redisDown = wantsRedelivery(error);
      if (!redisDown) log.warn({ err: errorFields(error) }, 'slack request Bolt could not process');
      response.writeHead(redisDown ? 500 : 400).end();
      return true;
    },
  });
  const app = newApp(receiver);
  // A command, click or view no listener acknowledged would hold its HTTP answer until Bolt's 3 s
  // no-ack timer, then get a 404: Slack counts that a failed delivery and shows the user an error.
  // Acknowledged empty once every listener is done instead (a second ack throws: already done).
  app.use(async (args) => {
    try {
      await args.next();
    } finally {
      const { ack } = args as { ack?: () => Promise<void> };
      await ack?.().then(
        () =>
          log.info(
            { type: (args.body as { type?: unknown }).type },
            'no listener took the request; acknowledged',
          ),
        (err: unknown) => {
          // Usually a listener acknowledged it already, and Bolt refuses the second ack: as it should.
          if (!(err instanceof ReceiverMultipleAckError))
            log.warn({ err: errorFields(err) }, 'could not acknowledge a request');
        },
      );
    }
  });
  // `requestListener` is HTTPReceiver's public (req, res) handler, the one its own server would use;
  // Bolt 5 still reuses a body already buffered on `req.rawBody` (see http-server.ts).
  return {
    app,
    httpListener: receiver.requestListener,
    ...(receiver.installer && oauthConfig
      ? {
          oauth: createOAuth(receiver.installer),
          installPaths: [oauthConfig.installPath, oauthConfig.redirectUriPath],
        }
      : {}),
    start: async () => {},
    stop: async () => {},
  };
};
