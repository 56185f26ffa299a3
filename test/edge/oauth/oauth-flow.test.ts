import { randomBytes, randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { loadConfig } from '../../../src/core/config.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { createTokenCrypto } from '../../../src/core/token-crypto.js';
import { createSlackApp } from '../../../src/edge/app.js';
import { createHttpServer } from '../../../src/edge/http-server.js';
import { registerAppUninstalled } from '../../../src/edge/listeners/events/app-uninstalled.js';
import { createIntake } from '../../../src/intake/intake.js';
import { createIntakeProcessor, type IntakeProcessorDeps } from '../../../src/intake/processor.js';
import { answerJobOptions, QUEUES } from '../../../src/queue/registry.js';
import { createTeamPurger } from '../../../src/queue/team-purge.js';
import { createInstallationStore } from '../../../src/sessions/installations.js';
import { createKeys } from '../../../src/sessions/keys.js';
import { createOAuthStateStore } from '../../../src/sessions/oauth-states.js';
import { signSlackBody } from '../../../standins/driver/signing.js';
import { type SlackApiStandin, startSlackApi } from '../../../standins/slack/index.js';
import { captureLogs } from '../../support/in-process-bot.js';

const SECRET = 'oauth-signing-secret';
const CLIENT = { id: '1234.5678', secret: 'client-secret-value' };

/**
 * The edge in OAuth mode, in this process: Bolt's HTTPReceiver with our installation and state
 * stores behind our HTTP server, the uninstall listeners writing to a real intake queue, and the
 * Slack stand-in answering oauth.v2.access and auth.test per workspace.
 */
const startEdge = async (slack: SlackApiStandin) => {
  const redisUrl = inject('redisUrl');
  const redis = new Redis(redisUrl);
  const prefix = `{oa${randomUUID().slice(0, 8)}}`;
  const config = loadConfig({
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_CLIENT_ID: CLIENT.id,
    SLACK_CLIENT_SECRET: CLIENT.secret,
    SLACK_STATE_SECRET: 'state-secret-value',
    TOKEN_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
    SLACK_API_URL: slack.apiUrl,
    REDIS_PREFIX: prefix,
  });
  const logs = captureLogs();
  const logger = logs.logger;
  const keys = createKeys(config.redis.prefix);
  const oauth = config.slack.oauth;
  if (!oauth) throw new Error('OAuth mode expected');
  const installations = createInstallationStore({
    redis,
    keys,
    crypto: createTokenCrypto(oauth.encryptionKeys),
  });
  const stateStore = createOAuthStateStore({ redis, keys });
  const slackApp = createSlackApp({
    config,
    oauthStores: { installationStore: installations, stateStore },
    logger,
  });
  const intakeQueue = new Queue(QUEUES.intake.name, { connection: redis, prefix: config.redis.prefix });
  const answersQueue = new Queue(QUEUES.answers.name, { connection: redis, prefix: config.redis.prefix });
  const metrics = createMetrics();
  const intake = createIntake({ queue: intakeQueue, logger });
  registerAppUninstalled(slackApp.app, { intake, logger, metrics, installations });
  const mentions = vi.fn(async () => {});
  slackApp.app.event('app_mention', mentions);
  const http = createHttpServer({
    slack: { listener: slackApp.httpListener!, signingSecret: SECRET, installPaths: slackApp.installPaths },
    bodyLimitBytes: 1 << 20,
    healthy: async () => true,
    metrics,
    logger,
  });
  const base = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;

  const postEvent = (teamId: string, event: Record<string, unknown>) => {
    const body = JSON.stringify({
      team_id: teamId,
      api_app_id: 'A0APP',
      type: 'event_callback',
      event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: teamId, user_id: `U${teamId}BOT`, is_bot: true }],
      event,
    });
    return fetch(`${base}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signSlackBody(SECRET, body) },
      body,
    });
  };

  /** A browser: the install page (redirect to Slack, state cookie), then Slack's redirect back. */
  const startInstall = async () => {
    const res = await fetch(`${base}/slack/install`, { redirect: 'manual' });
    const location = new URL(res.headers.get('location') ?? 'missing:');
    return {
      status: res.status,
      location,
      state: location.searchParams.get('state') ?? '',
      cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    };
  };
  const comeBack = (code: string, state: string, cookie: string) =>
    fetch(
      `${base}/slack/oauth_redirect?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`,
      {
        headers: { cookie },
        redirect: 'manual',
      },
    );
  const installTeam = async (
    teamId: string,
    grant: Parameters<SlackApiStandin['oauthGrant']>[0] = { teamId },
  ) => {
    const start = await startInstall();
    return comeBack(slack.oauthGrant(grant), start.state, start.cookie);
  };

  return {
    redis,
    keys,
    slackApp,
    installations,
    intakeQueue,
    answersQueue,
    mentions,
    logs,
    postEvent,
    startInstall,
    comeBack,
    installTeam,
    stop: async () => {
      await http.close();
      await intakeQueue.close();
      await answersQueue.close();
      await redis.quit();
    },
  };
};

let slack: SlackApiStandin;
let edge: Awaited<ReturnType<typeof startEdge>>;
beforeEach(async () => {
  slack = await startSlackApi({ oauthClient: CLIENT });
  edge = await startEdge(slack);
});
afterEach(async () => {
  await edge.stop();
  await slack.close();
});

describe('installing through OAuth', () => {
  it('installs two workspaces through the real routes, each with its own bot, encrypted in Redis', async () => {
    const start = await edge.startInstall();
    expect(start.status).toBe(302);
    expect(start.location.searchParams.get('client_id')).toBe(CLIENT.id);
    expect(start.location.searchParams.get('scope')?.split(',')).toContain('chat:write');
    expect(start.cookie).toBe(`slack-app-oauth-state=${start.state}`);

    const first = await edge.comeBack(slack.oauthGrant({ teamId: 'T0AAA' }), start.state, start.cookie);
    expect(first.status).toBe(200);
    expect((await edge.installTeam('T0BBB')).status).toBe(200);

    for (const teamId of ['T0AAA', 'T0BBB']) {
      const raw = await edge.redis.get(edge.keys.installation(teamId));
      expect(raw).toMatch(/^v1\.k1\./);
      expect(raw).not.toContain('xoxb-');
      const auth = await edge.slackApp.oauth?.authorizeTeam(teamId);
      const issued = slack.issuedBot(teamId);
      expect(auth).toEqual({
        teamId,
        botToken: issued?.botToken,
        botUserId: `U${teamId.slice(1)}BOT`,
        botId: `B${teamId.slice(1)}BOT`,
      });
    }
    expect(slack.issuedBot('T0AAA')?.botToken).not.toBe(slack.issuedBot('T0BBB')?.botToken);
    // Bolt read each new bot's id with auth.test, on that workspace's own token.
    const authTests = slack.calls('auth.test');
    expect(authTests.map((c) => [c.teamId, c.response?.bot_id])).toEqual([
      ['T0AAA', 'B0AAABOT'],
      ['T0BBB', 'B0BBBBOT'],
    ]);
    expect(edge.logs.lines.join('\n')).not.toMatch(/xoxb-|xoxe/);
  });

  it('refuses a forged state, and a state used twice, storing nothing', async () => {
    const forged = 'forged-state-value-0123456789';
    const refused = await edge.comeBack(
      slack.oauthGrant({ teamId: 'T0EVIL' }),
      forged,
      `slack-app-oauth-state=${forged}`,
    );
    expect(refused.status).toBe(400);
    expect(await edge.redis.exists(edge.keys.installation('T0EVIL'))).toBe(0);

    const start = await edge.startInstall();
    expect(
      (await edge.comeBack(slack.oauthGrant({ teamId: 'T0AAA' }), start.state, start.cookie)).status,
    ).toBe(200);
    // The same state and cookie again, with a fresh code for another workspace: refused.
    const replay = await edge.comeBack(slack.oauthGrant({ teamId: 'T0REPLAY' }), start.state, start.cookie);
    expect(replay.status).toBe(400);
    expect(await edge.redis.exists(edge.keys.installation('T0REPLAY'))).toBe(0);
    expect(slack.issuedBot('T0REPLAY')).toBeUndefined();

    // A real state without its browser's cookie (another browser): refused too.
    const other = await edge.startInstall();
    const noCookie = await edge.comeBack(slack.oauthGrant({ teamId: 'T0CSRF' }), other.state, '');
    expect(noCookie.status).toBe(400);
    expect(slack.issuedBot('T0CSRF')).toBeUndefined();
  });

  it('refreshes a rotating bot token near its expiry when a job asks for the team, and stores the new one', async () => {
    expect(
      (await edge.installTeam('T0ROT', { teamId: 'T0ROT', rotation: { expiresInSeconds: 600 } })).status,
    ).toBe(200);
    const firstToken = slack.issuedBot('T0ROT')?.botToken;
    expect(firstToken).toMatch(/^xoxe\.xoxb-/);
    // Within Bolt's two-hour window: the lookup refreshes (oauth.v2.access, grant_type=refresh_token).
    const auth = await edge.slackApp.oauth?.authorizeTeam('T0ROT');
    expect(auth?.botToken).toBe(slack.issuedBot('T0ROT')?.botToken);
    expect(auth?.botToken).not.toBe(firstToken);
    expect(slack.calls('oauth.v2.access').map((c) => c.params.grant_type)).toEqual([
      undefined,
      'refresh_token',
    ]);
    const stored = await edge.installations.fetchInstallation({
      teamId: 'T0ROT',
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    expect(stored.bot?.token).toBe(auth?.botToken);
    expect(stored.bot?.refreshToken).toBe(slack.issuedBot('T0ROT')?.refreshToken);
  });
});

describe('events in OAuth mode', () => {
  it('answers an event of a workspace with no installation with a quiet 200, and does no work', async () => {
    const res = await edge.postEvent('T0NONE', {
      type: 'app_mention',
      user: 'U1',
      channel: 'C1',
      ts: '1.0',
      text: 'hi',
    });
    expect(res.status).toBe(200);
    expect(edge.mentions).not.toHaveBeenCalled();
    expect(await edge.intakeQueue.count()).toBe(0);
    expect(slack.calls()).toEqual([]);
  });

  it('runs listeners for an installed workspace', async () => {
    await edge.installTeam('T0AAA');
    const res = await edge.postEvent('T0AAA', {
      type: 'app_mention',
      user: 'U1',
      channel: 'C1',
      ts: '1.0',
      text: 'hi',
    });
    expect(res.status).toBe(200);
    expect(edge.mentions).toHaveBeenCalledTimes(1);
  });
});

describe('uninstalling', () => {
  it('deletes the installation before the ack, then purges the team’s queued jobs and keys; the other team keeps all', async () => {
    await edge.installTeam('T0AAA');
    await edge.installTeam('T0BBB');
    const { redis, keys, answersQueue } = edge;
    for (const teamId of ['T0AAA', 'T0BBB']) {
      await redis.set(keys.history(teamId, 'C1', '1.0'), 'cached');
      await redis.set(keys.request(`${teamId}:C1:1.0`), 'record');
      const request = {
        id: `${teamId}:C1:1.0`,
        source: 'mention',
        teamId,
        channelId: 'C1',
        userId: 'U1',
        text: 'q',
        isDm: false,
        receivedAt: 1,
      };
      const job = {
        request,
        threadTs: '1.0',
        badgeTs: '1.0',
        priority: 'low',
        reason: 'later',
        question: 'q',
        questionTs: '1.0',
        freshHistory: false,
        enqueuedAt: 1,
      };
      await answersQueue.add(
        QUEUES.answers.job,
        job,
        answerJobOptions(request.id, 'low', { attempts: 1, retentionSeconds: 60 }),
      );
    }

    const res = await edge.postEvent('T0AAA', { type: 'app_uninstalled' });
    expect(res.status).toBe(200);
    // At once, before the ack: the installation is gone, so nothing can act for the team any more.
    expect(await redis.exists(keys.installation('T0AAA'))).toBe(0);
    expect(await edge.slackApp.oauth?.authorizeTeam('T0AAA')).toBeUndefined();
    const [purgeJob] = await edge.intakeQueue.getJobs(['prioritized', 'waiting']);
    expect(purgeJob?.name).toBe(QUEUES.intake.teamUninstalled.job);

    // The intake worker runs the purge.
    const unexpected = vi.fn(async () => {});
    const deps = {
      handler: { handle: unexpected },
      overview: { opened: unexpected },
      actions: unexpected,
      commands: { sessions: unexpected, cancel: unexpected },
      messagesTab: { opened: unexpected, contextChanged: unexpected },
      feedback: unexpected,
      sessionStop: { stop: unexpected },
      teamPurge: createTeamPurger({
        queue: answersQueue,
        finished: [answersQueue],
        redis,
        keys,
        logger: edge.logs.logger,
      }),
    } satisfies IntakeProcessorDeps;
    const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const worker = new Worker(QUEUES.intake.name, createIntakeProcessor(deps), {
      connection,
      prefix: keys.prefix,
    });
    try {
      await vi.waitFor(async () => expect(await edge.intakeQueue.getCompletedCount()).toBe(1), {
        timeout: 10_000,
      });
    } finally {
      await worker.close();
      await connection.quit();
    }
    expect(unexpected).not.toHaveBeenCalled();
    expect(await redis.exists(keys.history('T0AAA', 'C1', '1.0'), keys.request('T0AAA:C1:1.0'))).toBe(0);
    expect(await redis.exists(keys.history('T0BBB', 'C1', '1.0'), keys.request('T0BBB:C1:1.0'))).toBe(2);
    const queued = await answersQueue.getJobs(['prioritized', 'waiting', 'delayed']);
    expect(queued.map((j) => j.data.request.teamId)).toEqual(['T0BBB']);
    expect((await edge.slackApp.oauth?.authorizeTeam('T0BBB'))?.botToken).toBe(
      slack.issuedBot('T0BBB')?.botToken,
    );

    // Slack may still send an event or two: a quiet 200, no work.
    const late = await edge.postEvent('T0AAA', {
      type: 'app_mention',
      user: 'U1',
      channel: 'C1',
      ts: '2.0',
      text: 'hi',
    });
    expect(late.status).toBe(200);
    expect(edge.mentions).not.toHaveBeenCalled();
  });

  it('treats a revoked bot token as an uninstall, and a revoked user token as nothing', async () => {
    await edge.installTeam('T0AAA');
    await edge.postEvent('T0AAA', { type: 'tokens_revoked', tokens: { oauth: ['U1'] } });
    expect(await edge.redis.exists(edge.keys.installation('T0AAA'))).toBe(1);
    await edge.postEvent('T0AAA', { type: 'tokens_revoked', tokens: { bot: ['U0AAABOT'] } });
    expect(await edge.redis.exists(edge.keys.installation('T0AAA'))).toBe(0);
    expect((await edge.intakeQueue.getJobs(['prioritized', 'waiting'])).map((j) => j.data)).toEqual([
      { teamId: 'T0AAA', reason: 'tokens_revoked', sweep: 0 },
    ]);
  });
});
