import type { WebClient } from '@slack/web-api';
import type { SlackIdentity } from '../core/domain.js';
import { errorFields, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { slackErrorCode } from './slack-error.js';

/** Slack's answers to a token that will never work: no retry can help. */
const BAD_TOKEN = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked']);
const ATTEMPTS = 5;

/**
 * Who the bot is (`auth.test`), asked once at start-up so no Slack call runs on the ack path later.
 * A network failure is tried again (5 attempts, 0.5 s more wait each time); a rejected token stops
 * at once with the reason.
 */
export const fetchIdentity = async (
  client: Pick<WebClient, 'auth'>,
  logger: Logger,
  { delayMs = 500 }: { delayMs?: number } = {},
): Promise<SlackIdentity> => {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await client.auth.test();
      if (!res.user_id || !res.bot_id || !res.team_id) throw new Error('auth.test returned no bot identity');
      return {
        botUserId: res.user_id,
        botId: res.bot_id,
        teamId: res.team_id,
        ...(res.url ? { url: res.url } : {}),
      };
    } catch (err) {
      const code = slackErrorCode(err);
      if (code && BAD_TOKEN.has(code)) throw new Error(`SLACK_BOT_TOKEN was rejected by Slack (${code})`);
      if (attempt >= ATTEMPTS)
        throw new Error(`could not reach Slack to identify the bot: ${errorMessage(err)}`);
      logger.warn({ attempt, err: errorFields(err) }, 'auth.test failed, retrying');
      await new Promise((r) => setTimeout(r, delayMs * attempt));
    }
  }
};
