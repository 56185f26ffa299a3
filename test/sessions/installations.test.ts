import { randomBytes, randomUUID } from 'node:crypto';
import type { Installation } from '@slack/bolt';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTokenCrypto, parseEncryptionKeys } from '../../src/core/token-crypto.js';
import { answerJobOptions, QUEUES } from '../../src/queue/registry.js';
import { createTeamPurger } from '../../src/queue/team-purge.js';
import { createInstallationStore, isNotInstalled } from '../../src/sessions/installations.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createOAuthStateStore } from '../../src/sessions/oauth-states.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const cryptoWith = (text: string) => {
  const parsed = parseEncryptionKeys(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return createTokenCrypto(parsed.keys);
};
const newKey = () => randomBytes(32).toString('base64');

const setup = (keyText = `k1:${newKey()}`) => {
  const keys = createKeys(`{in${randomUUID().slice(0, 8)}}`);
  const store = createInstallationStore({ redis, keys, crypto: cryptoWith(keyText) });
  return { keys, store };
};

const install = (
  teamId: string,
  over: Partial<Installation<'v2', false>> = {},
): Installation<'v2', false> => ({
  team: { id: teamId, name: teamId },
  enterprise: undefined,
  user: { id: 'U0INSTALLER', token: 'xoxp-user-token', scopes: undefined },
  bot: {
    id: `B${teamId}`,
    userId: `U${teamId}`,
    token: `xoxb-${teamId}-bot-token`,
    scopes: ['chat:write'],
    refreshToken: `xoxe-1-${teamId}-refresh`,
    expiresAt: 1_900_000_000,
  },
  tokenType: 'bot',
  isEnterpriseInstall: false,
  authVersion: 'v2',
  ...over,
});

describe('the installation store', () => {
  it('keeps each workspace’s installation, the whole of it encrypted (no token readable in Redis)', async () => {
    const { keys, store } = setup();
    await store.storeInstallation(install('T1'));
    await store.storeInstallation(install('T2'));
    const raw = await redis.get(keys.installation('T1'));
    expect(raw).not.toBeNull();
    for (const secret of ['xoxb-', 'xoxp-', 'xoxe-', 'T1-bot-token', 'U0INSTALLER'])
      expect(raw).not.toContain(secret);
    const t1 = await store.fetchInstallation({
      teamId: 'T1',
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    expect(t1.bot).toMatchObject({
      token: 'xoxb-T1-bot-token',
      refreshToken: 'xoxe-1-T1-refresh',
      expiresAt: 1_900_000_000,
    });
    const t2 = await store.fetchInstallation({
      teamId: 'T2',
      enterpriseId: undefined,
      isEnterpriseInstall: false,
    });
    expect(t2.bot?.token).toBe('xoxb-T2-bot-token');
  });

  it('falls back to the org-wide install for a workspace of the org with none of its own', async () => {
    const { keys, store } = setup();
    await store.storeInstallation({
      ...install('unused'),
      team: undefined,
      enterprise: { id: 'E1', name: 'Org' },
      isEnterpriseInstall: true,
      bot: { id: 'BORG', userId: 'UORG', token: 'xoxb-org', scopes: [] },
    } as unknown as Installation<'v2', false>);
    expect(await redis.exists(keys.enterpriseInstallation('E1'))).toBe(1);
    const found = await store.fetchInstallation({
      teamId: 'T9',
      enterpriseId: 'E1',
      isEnterpriseInstall: false,
    });
    expect(found.bot?.token).toBe('xoxb-org');
    await store.storeInstallation(install('T9', { enterprise: { id: 'E1', name: 'Org' } }));
    const own = await store.fetchInstallation({
      teamId: 'T9',
      enterpriseId: 'E1',
      isEnterpriseInstall: false,
    });
    expect(own.bot?.token).toBe('xoxb-T9-bot-token');
  });

  it('finds nothing for an unknown or deleted team, with an error that says so', async () => {
    const { store } = setup();
    await store.storeInstallation(install('T1'));
    await store.deleteInstallation({ teamId: 'T1', enterpriseId: undefined, isEnterpriseInstall: false });
    const err = await store
      .fetchInstallation({ teamId: 'T1', enterpriseId: undefined, isEnterpriseInstall: false })
      .catch((e: unknown) => e);
    expect(isNotInstalled(err)).toBe(true);
  });

  it('reads installations sealed with an older key after rotation, and re-seals them with the new one on write', async () => {
    const oldKey = `old:${newKey()}`;
    const { keys, store } = setup(oldKey);
    await store.storeInstallation(install('T1'));
    const rotated = createInstallationStore({ redis, keys, crypto: cryptoWith(`new:${newKey()},${oldKey}`) });
    const q = { teamId: 'T1', enterpriseId: undefined, isEnterpriseInstall: false } as const;
    const found = await rotated.fetchInstallation(q);
    expect(found.bot?.token).toBe('xoxb-T1-bot-token');
    await rotated.storeInstallation(found);
    expect((await redis.get(keys.installation('T1')))?.split('.')[1]).toBe('new');
  });
});

describe('the OAuth state store', () => {
  it('issues random states that verify once, with the options they were made for', async () => {
    const keys = createKeys(`{st${randomUUID().slice(0, 8)}}`);
    const states = createOAuthStateStore({ redis, keys });
    const options = { scopes: ['chat:write'], redirectUri: 'https://bc.example/slack/oauth_redirect' };
    const [a, b] = [
      await states.generateStateParam(options, new Date()),
      await states.generateStateParam(options, new Date()),
    ];
    expect(a).not.toBe(b);
    expect(await redis.ttl(keys.oauthState(a))).toBeGreaterThan(590);
    expect(await states.verifyStateParam(new Date(), a)).toEqual(options);
    await expect(states.verifyStateParam(new Date(), a)).rejects.toThrow(/already used/);
    await expect(states.verifyStateParam(new Date(), 'forged-state-of-some-length')).rejects.toThrow();
  });

  it('refuses an expired state', async () => {
    const keys = createKeys(`{st${randomUUID().slice(0, 8)}}`);
    const states = createOAuthStateStore({ redis, keys, ttlSeconds: 1 });
    const state = await states.generateStateParam({ scopes: [] }, new Date());
    await redis.pexpire(keys.oauthState(state), 1);
    await new Promise((r) => setTimeout(r, 20));
    await expect(states.verifyStateParam(new Date(), state)).rejects.toThrow();
  });
});

describe('purging an uninstalled team', () => {
  it('removes its queued answers and every key of its data, and leaves another team’s and its installation alone', async () => {
    const { keys, store } = setup();
    const prefix = keys.prefix;
    const queue = new Queue(QUEUES.answers.name, { connection: redis, prefix });
    try {
      const seed = async (teamId: string) => {
        await redis.set(keys.history(teamId, 'C1', '1.0'), 'h');
        await redis.hset(keys.session(teamId, 'C1', '1.0'), 'a', '1');
        await redis.set(keys.request(`${teamId}:C1:1.0`), 'r');
        await redis.set(keys.requestResult(`${teamId}:C1:1.0`), 'r');
        await redis.zadd(keys.userRequests(teamId, 'U1'), 1, 'x');
        await redis.zadd(keys.userRate(teamId, 'U1'), 1, 'x');
        await redis.set(keys.userAdmin(teamId, 'U1'), '1');
        await redis.set(keys.sessionsFallback(teamId), '1');
        await redis.set(keys.sessionStatus(teamId, 'C1', '1.0'), '1');
        await redis.set(keys.cancelled(`${teamId}:C1:2.0`), '1');
        for (const [i, delay] of [0, 60_000].entries()) {
          const request = {
            id: `${teamId}:C1:${i}.0`,
            source: 'mention',
            teamId,
            channelId: 'C1',
            userId: 'U1',
            text: 'q',
            isDm: false,
            receivedAt: Date.now(),
          };
          const data = {
            request,
            threadTs: '1.0',
            badgeTs: '1.0',
            priority: 'normal',
            reason: 'later',
            question: 'q',
            questionTs: '1.0',
            freshHistory: false,
            enqueuedAt: Date.now(),
          };
          const opts = answerJobOptions(request.id, 'normal', { attempts: 1, retentionSeconds: 60 });
          await queue.add(QUEUES.answers.job, data, { ...opts, delay });
        }
      };
      await seed('T1');
      await seed('T11'); // a team id that starts like T1's must survive
      await store.storeInstallation(install('T11'));
      await store.storeInstallation(install('T1'));
      const teamKeys = async (teamId: string) =>
        (await redis.keys(`${prefix}:*`)).filter(
          (k) => k.includes(`:${teamId}:`) && !k.includes(':install:'),
        );
      const before = await teamKeys('T11');

      const purger = createTeamPurger({
        queue,
        finished: [queue],
        redis,
        keys,
        logger: pino({ level: 'silent' }),
      });
      await purger.purge('T1');

      expect(await teamKeys('T1')).toEqual([]);
      expect((await teamKeys('T11')).sort()).toEqual(before.sort());
      const left = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
      expect(left.map((j) => j.data.request.teamId)).toEqual(['T11', 'T11']);
      // The installation is not the purge's (the uninstall deleted it; a re-install must survive a late purge).
      expect(await redis.exists(keys.installation('T1'))).toBe(1);
      await purger.purge('T1'); // again: nothing left, no error

      // With a second sweep: the first queues it, delayed; the second queues none.
      const sweeps = new Queue(`sweeps${randomUUID().slice(0, 6)}`, { connection: redis, prefix });
      try {
        const sweeping = createTeamPurger({
          queue,
          finished: [queue],
          sweepAgain: { queue: sweeps, delayMs: 180_000 },
          redis,
          keys,
          logger: pino({ level: 'silent' }),
        });
        await sweeping.purge('T1');
        const [later] = await sweeps.getJobs(['delayed']);
        expect(later?.data).toMatchObject({ teamId: 'T1', sweep: 1 });
        expect(later?.opts.delay).toBe(180_000);
        await sweeping.purge('T1', 1);
        expect(await sweeps.getJobs(['delayed', 'waiting'])).toHaveLength(1);
      } finally {
        await sweeps.obliterate({ force: true });
        await sweeps.close();
      }
    } finally {
      await queue.close();
    }
  });
});
