import { randomUUID } from 'node:crypto';
import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorkspaceAdmins } from '../../src/out/workspace-admins.js';
import { ADMIN_TTL_SECONDS, createAdminCache } from '../../src/sessions/admin-cache.js';
import { createKeys } from '../../src/sessions/keys.js';
import { type SlackApiStandin, startSlackApi } from '../../standins/slack/index.js';
import { localCall } from '../support/budget.js';

const _logger = pino({ level: 'silent' });
let slack: SlackApiStandin;
let redis: Redis;
beforeAll(async () => {
  slack = await startSlackApi({
    users: { UADMIN: { is_admin: true }, UOWNER: { is_owner: true }, UPLAIN: {} },
  });
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await slack.close();
  await redis.quit();
});

const admins = () => {
  const keys = createKeys(`adm${randomUUID().slice(0, 8)}`);
  const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  const call = localCall();
  return { keys, admins: createWorkspaceAdmins({ client, call, cache: createAdminCache({ redis, keys }) }) };
};

describe('whether a user is a workspace admin', () => {
  it('is what users.info says (admin or owner), asked once and then cached for a while', async () => {
    const { admins: a, keys } = admins();
    const before = slack.calls('users.info').length;
    expect(await a.isAdmin('T1', 'UADMIN')).toBe(true);
    expect(await a.isAdmin('T1', 'UOWNER')).toBe(true);
    expect(await a.isAdmin('T1', 'UPLAIN')).toBe(false);
    expect(await a.isAdmin('T1', 'UPLAIN')).toBe(false);
    expect(await a.isAdmin('T1', 'UADMIN')).toBe(true);
    expect(slack.calls('users.info').length - before).toBe(3);
    const ttl = await redis.ttl(keys.userAdmin('T1', 'UPLAIN'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(ADMIN_TTL_SECONDS);
  });

  it('asks Slack once for several look-ups of the same user at the same time', async () => {
    const { admins: a } = admins();
    const before = slack.calls('users.info').length;
    const answers = await Promise.all([1, 2, 3].map(() => a.isAdmin('T1', 'UOWNER')));
    expect(answers).toEqual([true, true, true]);
    expect(slack.calls('users.info').length - before).toBe(1);
  });

  it('throws when Slack cannot say, and caches nothing', async () => {
    const { admins: a, keys } = admins();
    slack.failNext('users.info', { error: 'user_not_found' });
    await expect(a.isAdmin('T1', 'UADMIN')).rejects.toThrow();
    expect(await redis.exists(keys.userAdmin('T1', 'UADMIN'))).toBe(0);
  });
});
