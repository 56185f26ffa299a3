import { WebAPIPlatformError } from '@slack/web-api';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { fetchIdentity } from '../../src/out/identity.js';

const logger = pino({ level: 'silent' });
/** What web-api 8 throws for an `ok: false` answer. */
const slackError = (error: string) => new WebAPIPlatformError({ ok: false, error });
const client = (...answers: (Record<string, unknown> | Error)[]) => {
  const test = vi.fn(async () => {
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return next;
  });
  return { auth: { test } } as never as Parameters<typeof fetchIdentity>[0] & {
    auth: { test: typeof test };
  };
};

describe('the bot’s identity at start-up', () => {
  it('is who auth.test says, with the workspace URL for permalinks', async () => {
    const c = client({
      ok: true,
      user_id: 'UBOT',
      bot_id: 'BBOT',
      team_id: 'T1',
      url: 'https://acme.slack.com/',
    });
    expect(await fetchIdentity(c, logger)).toEqual({
      botUserId: 'UBOT',
      botId: 'BBOT',
      teamId: 'T1',
      url: 'https://acme.slack.com/',
    });
  });

  it('waits out a network failure and asks again', async () => {
    const c = client(new Error('ECONNRESET'), { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' });
    expect(await fetchIdentity(c, logger, { delayMs: 1 })).toMatchObject({ botUserId: 'UBOT' });
    expect(c.auth.test).toHaveBeenCalledTimes(2);
  });

  it('stops at once, with the reason, when Slack rejects the token', async () => {
    const c = client(slackError('invalid_auth'));
    await expect(fetchIdentity(c, logger, { delayMs: 1 })).rejects.toThrow(
      'SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)',
    );
    expect(c.auth.test).toHaveBeenCalledTimes(1);
  });

  it('gives up after five attempts', async () => {
    const c = client(...Array.from({ length: 6 }, () => new Error('ETIMEDOUT')));
    await expect(fetchIdentity(c, logger, { delayMs: 1 })).rejects.toThrow(
      'could not reach Slack to identify the bot: ETIMEDOUT',
    );
    expect(c.auth.test).toHaveBeenCalledTimes(5);
  });
});
