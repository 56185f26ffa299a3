import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriver } from '../../standins/driver/index.js';
import type { ThrowawayRedis } from '../../standins/redis-server.js';
import { startTestRedis } from '../support/processes.js';
import { ANSWER_END, answerText, deploy, fileStandins, SIGNING_SECRET, sleep } from './helpers.js';

/**
 * Many workspaces through real processes: a web process and a worker in OAuth mode, two workspaces
 * installed through the install pages, answered each with its own bot and kept apart, though they
 * share a channel id and a user id (as Enterprise Grid and Slack Connect allow); then one uninstalls.
 */
let redis: ThrowawayRedis;
let client: Redis;
const { slack, openai } = await fileStandins({ text: answerText });

beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  await client.quit();
});

const OAUTH = {
  SLACK_BOT_TOKEN: undefined,
  SLACK_CLIENT_ID: '1111.2222',
  SLACK_CLIENT_SECRET: 'e2e-client-secret',
  SLACK_STATE_SECRET: 'e2e-state-secret',
  TOKEN_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
  HOME_COALESCE_MS: '100',
};

/** A browser installing the app: the install page (Slack's consent URL and the state cookie), then Slack's redirect back. */
const install = async (base: string, teamId: string): Promise<number> => {
  const start = await fetch(`${base}/slack/install`, { redirect: 'manual' });
  const state = new URL(start.headers.get('location') ?? 'missing:').searchParams.get('state') ?? '';
  const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const code = slack.oauthGrant({ teamId, botUserId: `U${teamId}BOT`, botId: `B${teamId}BOT` });
  const back = await fetch(`${base}/slack/oauth_redirect?code=${code}&state=${encodeURIComponent(state)}`, {
    headers: { cookie },
    redirect: 'manual',
  });
  return back.status;
};

const CHANNEL = 'C0SHARED';
const USER = 'U0SAMEID';
const botPosts = (teamId: string) =>
  slack
    .team(teamId)
    .store.messages(CHANNEL)
    .filter((m) => m.user === `U${teamId}BOT` && m.text?.includes(ANSWER_END));
const homeOf = (teamId: string) => JSON.stringify(slack.team(teamId).homeViews.get(USER)?.blocks ?? []);
const keysOf = async (prefix: string, teamId: string) => {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}:*${teamId}*`, 'COUNT', 1000);
    cursor = next;
    // Not the installation (checked apart), nor the record of the uninstall job itself, nor Slack
    // rate-limit counters: none holds user data, and a Home re-publish already under way in another
    // process may take a budget token after the purge (the second sweep, minutes later, takes it).
    found.push(
      ...batch.filter(
        (k) => !k.includes(':install:') && !k.includes('_uninstalled_') && !/:slack-(budget|pause):/.test(k),
      ),
    );
  } while (cursor !== '0');
  return found;
};

describe('two workspaces installed with OAuth, through processes', () => {
  it('answers each with its own bot, keeps them apart, and purges the one that uninstalls', {
    timeout: 90_000,
  }, async () => {
    const d = await deploy({ slack, openai, redisUrl: redis.url, name: 'oauth', extra: OAUTH });
    expect(await install(d.web.url, 'T0ALPHA')).toBeLessThan(400);
    expect(await install(d.web.url, 'T0BRAVO')).toBeLessThan(400);
    // Stored encrypted: no token in Redis.
    const stored = await client.get(`${d.prefix}:install:team:T0ALPHA`);
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain('xoxb-');

    const drivers = Object.fromEntries(
      ['T0ALPHA', 'T0BRAVO'].map((teamId) => [
        teamId,
        createDriver({
          url: d.web.url,
          signingSecret: SIGNING_SECRET,
          slack,
          teamId,
          botUserId: `U${teamId}BOT`,
        }),
      ]),
    );
    // The same user id in the same channel id of both workspaces: one asks now, the other later.
    await drivers.T0ALPHA!.mention({ channel: CHANNEL, user: USER, text: 'alpha question now?' });
    await drivers.T0BRAVO!.mention({ channel: CHANNEL, user: USER, text: 'later bravo question?' });
    await slack.waitFor(() => botPosts('T0ALPHA').length > 0 && botPosts('T0BRAVO').length > 0, 30_000);

    // Each answer was written with its own workspace's token, and read its own workspace's thread.
    const postsBy = (teamId: string) =>
      slack.calls().filter((c) => c.teamId === teamId && c.method.startsWith('chat.')).length;
    expect(postsBy('T0ALPHA')).toBeGreaterThan(0);
    expect(postsBy('T0BRAVO')).toBeGreaterThan(0);
    expect(JSON.stringify(botPosts('T0ALPHA'))).toContain('alpha question');
    expect(JSON.stringify(botPosts('T0ALPHA'))).not.toContain('bravo question');
    expect(JSON.stringify(botPosts('T0BRAVO'))).toContain('bravo question');
    expect(JSON.stringify(botPosts('T0BRAVO'))).not.toContain('alpha question');

    // Each workspace's Home tab lists that workspace's session of the user, never the other's.
    await drivers.T0ALPHA!.homeOpened({ user: USER });
    await drivers.T0BRAVO!.homeOpened({ user: USER });
    await slack.waitFor(
      () => homeOf('T0ALPHA').includes('alpha') && homeOf('T0BRAVO').includes('bravo'),
      10_000,
    );
    expect(homeOf('T0ALPHA')).not.toContain('bravo');
    // Links to the threads use each workspace's own URL (auth.test once per workspace, kept in Redis).
    expect(homeOf('T0ALPHA')).toContain('https://t0alpha.slack.com/archives/C0SHARED/p');
    expect(homeOf('T0BRAVO')).toContain('https://t0bravo.slack.com/archives/C0SHARED/p');
    expect(homeOf('T0BRAVO')).not.toContain('alpha');

    // Bravo uninstalls: its installation goes at once, its keys within moments; Alpha's stay.
    expect((await keysOf(d.prefix, 'T0BRAVO')).length).toBeGreaterThan(0);
    const alphaKeys = await keysOf(d.prefix, 'T0ALPHA');
    await drivers.T0BRAVO!.event({ type: 'app_uninstalled' });
    slack.revokeTeam('T0BRAVO');
    expect(await client.exists(`${d.prefix}:install:team:T0BRAVO`)).toBe(0);
    for (let i = 0; i < 300 && (await keysOf(d.prefix, 'T0BRAVO')).length > 0; i++) await sleep(100);
    expect(await keysOf(d.prefix, 'T0BRAVO')).toEqual([]);
    expect((await keysOf(d.prefix, 'T0ALPHA')).sort()).toEqual(
      expect.arrayContaining(alphaKeys.filter((k) => !/:lock(:|$)/.test(k))),
    );

    // A mention from the uninstalled workspace is acknowledged and dropped; Alpha still answers.
    const callsBefore = slack.calls().filter((c) => c.teamId === 'T0BRAVO').length;
    const late = await drivers.T0BRAVO!.mention({ channel: CHANNEL, user: USER, text: 'anyone there?' });
    expect(late.acks.every((a) => a.status === 200)).toBe(true);
    await drivers.T0ALPHA!.mention({ channel: CHANNEL, user: USER, text: 'alpha again?' });
    await slack.waitFor(() => botPosts('T0ALPHA').length > 1, 30_000);
    expect(slack.calls().filter((c) => c.teamId === 'T0BRAVO').length).toBe(callsBefore);
  });
});
