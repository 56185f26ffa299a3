import type { HTTPReceiver, HTTPReceiverOptions, InstallationStore, StateStore } from '@slack/bolt';
import type { OAuthConfig } from '../../core/oauth-settings.js';
import { isNotInstalled } from '../../sessions/installations.js';
import { BOT_SCOPES } from './scopes.js';

/** Bolt's own installer (@slack/oauth's InstallProvider, which Bolt builds and does not export). */
export type InstallProvider = NonNullable<HTTPReceiver['installer']>;

/** What a job needs to act in a workspace; undefined when the team has no installation (uninstalled). */
export interface WorkspaceAuth {
  teamId: string;
  enterpriseId?: string;
  botToken: string;
  botUserId: string;
  botId: string;
  url?: string;
}

export interface OAuth {
  installer: InstallProvider;
  /**
   * Looks up (and, with token rotation, refreshes when near expiry) the bot of a team. Team-level
   * install first, else the org-wide (enterprise) install that covers the team.
   */
  authorizeTeam(teamId: string, enterpriseId?: string): Promise<WorkspaceAuth | undefined>;
}

/** The stores Bolt's installer keeps installations and states in (sessions/installations.ts, oauth-states.ts). */
export interface OAuthStores {
  installationStore: InstallationStore;
  stateStore: StateStore;
}

/**
 * The receiver options that turn on Bolt's OAuth: its installer, with our stores, the manifest's
 * scopes and its default routes. `/slack/install` redirects straight to Slack's consent page
 * (`directInstall`), setting the state cookie Bolt checks on the way back; `/slack/oauth_redirect`
 * checks it and the single-use state, exchanges the code (oauth.v2.access) and stores the install.
 */
export const oauthReceiverOptions = (
  oauth: OAuthConfig,
  stores: OAuthStores,
  clientOptions: { slackApiUrl?: string },
) =>
  ({
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    stateSecret: oauth.stateSecret,
    scopes: [...BOT_SCOPES],
    installationStore: stores.installationStore,
    ...(oauth.redirectUri ? { redirectUri: oauth.redirectUri } : {}),
    installerOptions: {
      stateStore: stores.stateStore,
      stateVerification: true,
      directInstall: true,
      installPath: oauth.installPath,
      redirectUriPath: oauth.redirectUriPath,
      clientOptions,
    },
  }) satisfies Partial<HTTPReceiverOptions>;

/**
 * The OAuth side jobs use: `authorizeTeam` goes through the installer's own `authorize`, so a bot
 * token near its expiry (token rotation) is refreshed and the refreshed installation stored, as for
 * events. A team with no installation is undefined; anything else (Redis down) throws.
 */
export const createOAuth = (installer: InstallProvider): OAuth => ({
  installer,
  async authorizeTeam(teamId, enterpriseId) {
    try {
      const auth = await installer.authorize({ teamId, enterpriseId, isEnterpriseInstall: false });
      if (!auth.botToken || !auth.botUserId || !auth.botId) return undefined;
      return {
        teamId,
        ...(auth.enterpriseId ? { enterpriseId: auth.enterpriseId } : {}),
        botToken: auth.botToken,
        botUserId: auth.botUserId,
        botId: auth.botId,
      };
    } catch (err) {
      if (isNotInstalled(err)) return undefined;
      throw err;
    }
  },
});
