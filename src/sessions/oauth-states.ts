import { randomBytes } from 'node:crypto';
import type { InstallURLOptions, StateStore } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/** Slack's own state cookie lasts 10 minutes (Bolt's stateCookieExpirationSeconds): so does the state. */
export const STATE_TTL_SECONDS = 600;

/** A state that is not one we issued, expired, or was used already. */
export class InvalidStateError extends Error {
  // Bolt's failure page reads `code`; this is @slack/oauth's own code for a bad state.
  readonly code = 'slack_oauth_invalid_state';
  constructor() {
    super('The state parameter is unknown, expired or already used.');
    this.name = 'InvalidStateError';
  }
}

export interface OAuthStateStoreDeps {
  redis: Pick<Redis, 'set' | 'getdel'>;
  keys: Pick<Keys, 'oauthState'>;
  ttlSeconds?: number;
}

/**
 * Bolt's StateStore, single use: a random state kept in Redis for 10 minutes with the install
 * options it was made for, and taken back with GETDEL, so a state works once. Bolt's default store
 * is stateless (a signed timestamp) and accepts the same state and cookie again. Bolt still checks
 * that the state matches its cookie in the browser that started the install.
 */
export const createOAuthStateStore = ({
  redis,
  keys,
  ttlSeconds = STATE_TTL_SECONDS,
}: OAuthStateStoreDeps): StateStore => ({
  async generateStateParam(installOptions) {
    const state = randomBytes(24).toString('base64url');
    await redis.set(keys.oauthState(state), JSON.stringify(installOptions), 'EX', ttlSeconds);
    return state;
  },
  async verifyStateParam(_now, state) {
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(state)) throw new InvalidStateError();
    const stored = await redis.getdel(keys.oauthState(state));
    if (stored === null) throw new InvalidStateError();
    return JSON.parse(stored) as InstallURLOptions;
  },
});
