import { InstallProvider } from '@slack/oauth';
import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Config } from './core/config.js';
import type { SlackIdentity } from './core/domain.js';
import { errorFields } from './core/errors.js';
import type { Logger } from './core/logger.js';
import { createTokenCrypto } from './core/token-crypto.js';
import { createOAuth, type OAuthStores } from './edge/oauth/oauth.js';
import { fetchIdentity } from './out/identity.js';
import { toSlackLogger } from './out/slack-logger.js';
import { createSlackClient } from './out/web-client.js';
import { cachedWorkspaces, scopedIdentity, singleWorkspace, type Workspaces } from './out/workspaces.js';
import { createInstallationStore, type InstallationRedisStore } from './sessions/installations.js';
import type { Keys } from './sessions/keys.js';
import { createOAuthStateStore } from './sessions/oauth-states.js';

export interface SlackWorkspaces {
  /** The Slack client outside any workspace (single-workspace mode: the settings' token; OAuth: none). */
  slackClient: WebClient;
  /** The workspaces the bot answers in; each job and Slack request enters its own. */
  workspaces: Workspaces;
  /** The bot's identity as the code below the edge reads it: its current workspace's. */
  bot: SlackIdentity;
  /** OAuth mode: what Bolt's installer keeps installations and states in, and the installations an uninstall deletes. */
  oauth?: { stores: OAuthStores; installations: Pick<InstallationRedisStore, 'deleteInstallation'> };
}

/**
 * Where the bot answers. One workspace: the bot of SLACK_BOT_TOKEN, identified once with auth.test
 * now, never on a request's path. Many (OAuth): each team's installation in Redis, looked up when
 * its work runs (through Bolt's own installer, which refreshes a rotating token near expiry).
 */
export const setUpWorkspaces = async (deps: {
  config: Pick<Config, 'slack' | 'role'>;
  redis: Redis;
  keys: Keys;
  logger: Logger;
}): Promise<SlackWorkspaces> => {
  const { config, redis, keys, logger } = deps;
  const oauth = config.slack.oauth;
  const slackClient = createSlackClient({
    token: oauth ? undefined : config.slack.botToken,
    apiUrl: config.slack.apiUrl,
    logger,
  });
  if (!oauth) {
    const identity = await fetchIdentity(slackClient, logger);
    logger.info({ botUserId: identity.botUserId, teamId: identity.teamId, role: config.role }, 'identified');
    return {
      slackClient,
      workspaces: singleWorkspace(identity, config.slack.botToken),
      bot: scopedIdentity(identity),
    };
  }
  const installations = createInstallationStore({
    redis,
    keys,
    crypto: createTokenCrypto(oauth.encryptionKeys),
  });
  // The installer jobs authorize with (web and worker processes alike); Bolt's receiver has its own
  // for the install pages and events, on the same stores.
  const installer = new InstallProvider({
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    stateSecret: oauth.stateSecret,
    installationStore: installations,
    logger: toSlackLogger(logger, 'oauth'),
    ...(config.slack.apiUrl ? { clientOptions: { slackApiUrl: config.slack.apiUrl } } : {}),
  });
  logger.info({ role: config.role }, 'OAuth mode: each workspace answers with its own installation');
  const oauthApi = createOAuth(installer);
  const urls = workspaceUrls({ redis, keys, client: slackClient, logger });
  return {
    slackClient,
    // Each workspace with its URL (for permalinks), which an installation does not keep.
    workspaces: cachedWorkspaces(async (teamId, enterpriseId) => {
      const auth = await oauthApi.authorizeTeam(teamId, enterpriseId);
      if (!auth) return undefined;
      const url = await urls(auth.teamId, auth.botToken);
      return url ? { ...auth, url } : auth;
    }),
    bot: scopedIdentity(),
    oauth: {
      stores: { installationStore: installations, stateStore: createOAuthStateStore({ redis, keys }) },
      installations,
    },
  };
};

/** A workspace's URL is kept a day: it changes only when the workspace is renamed. */
const URL_TTL_SECONDS = 86_400;

/**
 * A workspace's URL (for links to threads on the Home tab): from Redis, or one auth.test with its
 * token, kept a day for every process. Unknown (auth.test failed) is no link, never a failure.
 */
const workspaceUrls = (deps: { redis: Redis; keys: Keys; client: WebClient; logger: Logger }) => {
  return async (teamId: string, token: string): Promise<string | undefined> => {
    const key = deps.keys.teamUrl(teamId);
    try {
      const kept = await deps.redis.get(key);
      if (kept !== null) return kept || undefined;
      const res = await deps.client.auth.test({ token });
      const url = typeof res.url === 'string' && /^https:\/\//.test(res.url) ? res.url : '';
      await deps.redis.set(key, url, 'EX', URL_TTL_SECONDS);
      return url || undefined;
    } catch (err) {
      deps.logger.debug({ teamId, err: errorFields(err) }, 'workspace URL unknown; no thread links');
      return undefined;
    }
  };
};
