import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SlackApiStandin, startSlackApi } from '../../standins/slack/index.js';

let slack: SlackApiStandin;
beforeEach(async () => {
  slack = await startSlackApi();
});
afterEach(() => slack.close());

const call = async (method: string, params: Record<string, string>, token?: string) => {
  const res = await fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: new URLSearchParams(params).toString(),
  });
  return (await res.json()) as Record<string, unknown>;
};

describe('the Slack stand-in with several workspaces', () => {
  it('trades a granted code, once, for a bot token that acts as its own workspace', async () => {
    const code = slack.oauthGrant({ teamId: 'T0TWO', botUserId: 'U0TWOBOT' });
    const access = await call('oauth.v2.access', { code, client_id: 'c', client_secret: 's' });
    expect(access).toMatchObject({
      ok: true,
      team: { id: 'T0TWO' },
      bot_user_id: 'U0TWOBOT',
      token_type: 'bot',
    });
    expect(await call('oauth.v2.access', { code })).toMatchObject({ ok: false, error: 'invalid_code' });
    const token = String(access.access_token);
    expect(await call('auth.test', {}, token)).toMatchObject({ team_id: 'T0TWO', user_id: 'U0TWOBOT' });
    // Any other token is still the default workspace's, as before.
    expect(await call('auth.test', {}, 'xoxb-default')).toMatchObject({
      team_id: 'T0TEAM',
      user_id: 'U0BOT',
    });
    expect(slack.calls('auth.test').map((c) => c.teamId)).toEqual(['T0TWO', 'T0TEAM']);
  });

  it('keeps each workspace’s channels to itself: another team’s channel is channel_not_found', async () => {
    slack.addMessage({ channel: 'C0HOME', user: 'U1', text: 'in the default workspace' });
    const token = String(
      (await call('oauth.v2.access', { code: slack.oauthGrant({ teamId: 'T0TWO' }) })).access_token,
    );
    slack.team('T0TWO').addMessage({ channel: 'C0AWAY', user: 'U2', text: 'in T0TWO' });
    expect(await call('chat.postMessage', { channel: 'C0HOME', text: 'x' }, token)).toMatchObject({
      ok: false,
      error: 'channel_not_found',
    });
    expect(await call('chat.postMessage', { channel: 'C0AWAY', text: 'x' }, 'xoxb-default')).toMatchObject({
      ok: false,
      error: 'channel_not_found',
    });
    expect(await call('chat.postMessage', { channel: 'C0AWAY', text: 'hello' }, token)).toMatchObject({
      ok: true,
    });
    expect(
      slack
        .team('T0TWO')
        .store.messages('C0AWAY')
        .map((m) => m.text),
    ).toEqual(['in T0TWO', 'hello']);
    expect(slack.messages('C0AWAY')).toEqual([]);
  });

  it('rotates: a refresh token buys a new expiring token once; a revoked team’s tokens stop working', async () => {
    const code = slack.oauthGrant({ teamId: 'T0ROT', rotation: { expiresInSeconds: 43_200 } });
    const first = await call('oauth.v2.access', { code });
    expect(first).toMatchObject({ expires_in: 43_200, access_token: expect.stringMatching(/^xoxe\.xoxb-/) });
    const refresh = { grant_type: 'refresh_token', refresh_token: String(first.refresh_token) };
    const second = await call('oauth.v2.access', refresh);
    expect(second.access_token).not.toBe(first.access_token);
    expect(await call('oauth.v2.access', refresh)).toMatchObject({
      ok: false,
      error: 'invalid_refresh_token',
    });
    expect(await call('auth.test', {}, String(second.access_token))).toMatchObject({ team_id: 'T0ROT' });
    slack.revokeTeam('T0ROT');
    expect(await call('auth.test', {}, String(second.access_token))).toMatchObject({
      ok: false,
      error: 'token_revoked',
    });
  });
});
