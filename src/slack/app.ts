import type http from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { Config } from '../config.js';
import { type Logger, toBoltLogger } from '../logger.js';

export interface SlackIdentity {
  botUserId: string;
  botId: string;
  teamId: string;
  /** Workspace URL (`https://acme.slack.com/`), for permalinks. */
  url?: string;
}

export interface SlackAppDeps {
  config: Pick<Config, 'slack'>;
  identity: SlackIdentity;
  logger: Logger;
}

export interface SlackApp {
  app: App;
  /** HTTP mode: the listener our own server hands buffered Slack requests to. */
  httpListener?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** Socket Mode: connects to Slack. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Bolt, in one of two modes. HTTP: `processBeforeResponse`, so the ack is sent only after the
 * listener finished its durable write (and a failure becomes a 5xx Slack redelivers). Socket Mode
 * acks each envelope before listeners run, by Bolt's design.
 */
export const createSlackApp = ({ config, identity, logger }: SlackAppDeps): SlackApp => {
  const boltLogger = toBoltLogger(logger, 'bolt');
  const clientOptions = config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {};
  // Identity comes from one auth.test at start-up, so no Slack call ever runs on the ack path.
  const authorize = async () => ({
    botToken: config.slack.botToken,
    botId: identity.botId,
    botUserId: identity.botUserId,
    teamId: identity.teamId,
  });

  if (config.slack.socketMode && config.slack.appToken) {
    const receiver = new SocketModeReceiver({
      appToken: config.slack.appToken,
      logger: boltLogger,
      // Bolt ignores clientOptions.slackApiUrl for apps.connections.open.
      installerOptions: { clientOptions },
    });
    const app = new App({ receiver, authorize, logger: boltLogger, clientOptions });
    return {
      app,
      start: async () => {
        await app.start();
      },
      stop: async () => {
        await app.stop();
      },
    };
  }

  const receiver = new HTTPReceiver({
    signingSecret: config.slack.signingSecret ?? '',
    endpoints: '/slack/events',
    processBeforeResponse: true,
    logger: boltLogger,
  });
  const app = new App({ receiver, authorize, logger: boltLogger, clientOptions });
  const listener = (receiver as unknown as { requestListener: SlackApp['httpListener'] }).requestListener;
  if (!listener) throw new Error('Bolt HTTPReceiver has no requestListener');
  return { app, httpListener: listener, start: async () => {}, stop: async () => {} };
};
