import { z } from 'zod';
import { type EncryptionKey, parseEncryptionKeys } from './token-crypto.js';

/**
 * OAuth mode (many workspaces): its settings, which config.ts parses with every other one, and the
 * config they make. On when SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET are all set;
 * then SLACK_BOT_TOKEN is not needed and TOKEN_ENCRYPTION_KEY is.
 */

const blankIsUnset = z
  .string()
  .optional()
  .transform((v) => v?.trim() || undefined);

export const oauthSettings = {
  SLACK_CLIENT_ID: blankIsUnset,
  SLACK_CLIENT_SECRET: blankIsUnset,
  SLACK_STATE_SECRET: blankIsUnset,
  /** One or more keys, comma-separated (`[id:]key`, 32 bytes in base64 or hex): the first encrypts, all decrypt. */
  TOKEN_ENCRYPTION_KEY: blankIsUnset,
  /** The redirect URL registered with Slack, when the app lists more than one (else Slack uses its only one). */
  SLACK_REDIRECT_URI: blankIsUnset.pipe(z.url().optional()),
  /** Socket Mode only: Bolt serves the install pages on a port of its own. */
  SLACK_INSTALL_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
};

const TRIO = ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const;

type OAuthEnv = {
  SLACK_CLIENT_ID?: string | undefined;
  SLACK_CLIENT_SECRET?: string | undefined;
  SLACK_STATE_SECRET?: string | undefined;
  TOKEN_ENCRYPTION_KEY?: string | undefined;
  SLACK_REDIRECT_URI?: string | undefined;
  SLACK_INSTALL_PORT: number;
  SLACK_BOT_TOKEN?: string | undefined;
  SLACK_APP_TOKEN?: string | undefined;
  PORT: number;
};

/**
 * SLACK_BOT_TOKEN is required unless OAuth mode is on. Checked on the raw env, apart from the schema:
 * zod runs no object-level refinement once a field failed, and a missing token must be named along
 * with every other problem.
 */
export const missingBotToken = (env: Record<string, string | undefined>): string | undefined => {
  const given = (name: string) => Boolean(env[name]?.trim());
  return given('SLACK_BOT_TOKEN') || TRIO.some(given) ? undefined : 'SLACK_BOT_TOKEN: required';
};

/** OAuth's cross-setting rules: the trio all or none, and a valid key in OAuth mode. */
export const refineOAuth = (env: OAuthEnv, ctx: z.RefinementCtx): void => {
  const set = TRIO.filter((name) => env[name] !== undefined);
  if (set.length > 0 && set.length < TRIO.length) {
    for (const name of TRIO.filter((n) => env[n] === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `required in OAuth mode (${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set)`,
      });
    return;
  }
  if (set.length === 0) return;
  if (env.TOKEN_ENCRYPTION_KEY === undefined) {
    ctx.addIssue({ code: 'custom', path: ['TOKEN_ENCRYPTION_KEY'], message: 'required in OAuth mode' });
    return;
  }
  const keys = parseEncryptionKeys(env.TOKEN_ENCRYPTION_KEY);
  if (!keys.ok) ctx.addIssue({ code: 'custom', path: ['TOKEN_ENCRYPTION_KEY'], message: keys.problem });
  if (env.SLACK_APP_TOKEN !== undefined && env.SLACK_INSTALL_PORT === env.PORT)
    ctx.addIssue({ code: 'custom', path: ['SLACK_INSTALL_PORT'], message: 'must differ from PORT' });
};

export interface OAuthConfig {
  clientId: string;
  clientSecret: string;
  stateSecret: string;
  /** The first encrypts; every one decrypts (rotation). */
  encryptionKeys: readonly EncryptionKey[];
  redirectUri: string | undefined;
  /** Where the "Add to Slack" page and Slack's redirect land (Bolt's defaults). */
  installPath: '/slack/install';
  redirectUriPath: '/slack/oauth_redirect';
  /** Socket Mode: the port Bolt serves those two pages on. */
  installPort: number;
}

/** OAuth's config, or undefined in single-workspace mode. Only called on settings refineOAuth passed. */
export const toOAuthConfig = (e: OAuthEnv): OAuthConfig | undefined => {
  const { SLACK_CLIENT_ID: clientId, SLACK_CLIENT_SECRET: clientSecret, SLACK_STATE_SECRET: stateSecret } = e;
  if (!clientId || !clientSecret || !stateSecret || !e.TOKEN_ENCRYPTION_KEY) return undefined;
  const keys = parseEncryptionKeys(e.TOKEN_ENCRYPTION_KEY);
  if (!keys.ok) return undefined;
  return {
    clientId,
    clientSecret,
    stateSecret,
    encryptionKeys: keys.keys,
    redirectUri: e.SLACK_REDIRECT_URI,
    installPath: '/slack/install',
    redirectUriPath: '/slack/oauth_redirect',
    installPort: e.SLACK_INSTALL_PORT,
  };
};
