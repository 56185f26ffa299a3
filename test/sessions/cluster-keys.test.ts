import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { QUEUES } from '../../src/queue/registry.js';
import { createKeys } from '../../src/sessions/keys.js';
import { freePort } from '../../standins/redis-server.js';
import { answerIn, botReplies, startStack } from '../support/stack.js';

/** CRC16/XMODEM of the key's hash tag (or the whole key), mod 16384: Redis Cluster's key slot. */
const slotOf = (key: string): number => {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
};

const config = (env: Record<string, string> = {}) =>
  loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', ...env });

/** Every key builder with sample arguments (ids as Slack writes them). */
const everyKey = (prefix: string): string[] => {
  const keys = createKeys(prefix);
  const args = ['T0TEAM', 'C0GENERAL', '1700000000.000100', 'U0ALICE'];
  return Object.entries(keys)
    .filter((e): e is [string, (...a: string[]) => string] => typeof e[1] === 'function')
    .map(([, build]) => build(...args.slice(0, build.length)));
};

describe('Redis Cluster-safe keys', () => {
  it('says at start-up when Redis holds queues under the old prefix without a tag, which it does not run', async () => {
    const tag = `old${randomUUID().slice(0, 8)}`;
    const redis = new Redis(inject('redisUrl'));
    await redis.hset(`${tag}:answers:meta`, 'opts.maxLenEvents', '10000');
    const s = await startStack({ redisUrl: inject('redisUrl'), env: { REDIS_PREFIX: `{${tag}}` } });
    try {
      expect(s.logs.filter((l) => l.includes('old prefix without a hash tag'))).toHaveLength(1);
    } finally {
      await s.stop();
      await redis.del(`${tag}:answers:meta`);
      await redis.quit();
    }
    const fresh = await startStack({ redisUrl: inject('redisUrl') });
    await fresh.stop();
    expect(fresh.logs.filter((l) => l.includes('old prefix without a hash tag'))).toEqual([]);
  });

  it('puts a hash tag in the default prefix, and wraps a configured prefix that has none', () => {
    expect(config().redis.prefix).toBe('{bc}');
    expect(config({ REDIS_PREFIX: 'team1' }).redis.prefix).toBe('{team1}');
    expect(config({ REDIS_PREFIX: 'prod{bc}' }).redis.prefix).toBe('prod{bc}');
    expect(() => config({ REDIS_PREFIX: '{a}{b}' })).toThrow(/REDIS_PREFIX/);
  });

  it('hashes every key the app and its queues use to one slot, so every script and MULTI stays on one node', async () => {
    const prefix = config().redis.prefix;
    const ours = everyKey(prefix);
    expect(ours.length).toBeGreaterThan(25);
    const connection = new Redis({ lazyConnect: true });
    const queues = [QUEUES.intake.name, QUEUES.answers.name].map(
      (name) => new Queue(name, { connection, prefix }),
    );
    const bullKeys = queues.flatMap((q) => [...Object.values(q.keys), q.toKey('T0TEAM_C0GENERAL_1')]);
    const slots = new Set([...ours, ...bullKeys].map(slotOf));
    expect([...slots]).toEqual([slotOf('{bc}')]);
    // Without the tag, the same keys would scatter over many slots (what Cluster refuses in one script).
    expect(new Set(everyKey('bc').map(slotOf)).size).toBeGreaterThan(10);
    await Promise.all(queues.map((q) => q.close()));
    connection.disconnect();
  });
});

/**
 * A real Redis in cluster mode, one node owning every slot: it refuses any multi-key command or
 * script whose keys hash to different slots (CROSSSLOT), or a script touching a key of another slot,
 * just as a many-node cluster does. The bot runs its ordinary paths on it.
 */
describe('the bot on a one-node Redis Cluster', () => {
  let url = '';
  let stopServer = async () => {};
  beforeAll(async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'backchannel-cluster-'));
    const child = spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
        ...['--maxmemory-policy', 'noeviction'],
      ],
      { stdio: 'ignore' },
    );
    stopServer = async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    };
    const admin = new Redis({ port, host: '127.0.0.1', retryStrategy: (n) => (n > 50 ? null : 100) });
    // Refused until the server listens; ioredis retries meanwhile.
    admin.on('error', () => undefined);
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    for (let i = 0; i < 100; i++) {
      const info = String(await admin.call('CLUSTER', 'INFO'));
      if (info.includes('cluster_state:ok')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The check this suite rests on: keys of two slots in one command are refused here.
    await expect(admin.mset('a', '1', 'b', '2')).rejects.toThrow(/CROSSSLOT/);
    await admin.quit();
    url = `redis://127.0.0.1:${port}`;
  }, 20_000);
  afterAll(async () => {
    await stopServer();
  });

  it('takes a mention and answers it, and queues `later` and answers it with its ✅', async () => {
    const s = await startStack({ redisUrl: url });
    try {
      const mention = await s.driver.mention({
        channel: 'C1',
        user: 'U1',
        text: 'what is our refund policy?',
      });
      await s.slack.waitFor(() => botReplies(s, 'C1', mention.ts).length > 0, 8_000);
      const later = await s.driver.mention({
        channel: 'C2',
        user: 'U2',
        text: 'later summarise our Q3 plan',
      });
      await s.slack.waitFor(() => answerIn(s, 'C2', later.ts)[0], 8_000);
      await s.slack.waitFor(() => s.slack.reactions('C2', later.ts).join() === 'white_check_mark', 8_000);
      expect(s.logs.filter((l) => /CROSSSLOT|non local key|cross slot/i.test(JSON.stringify(l)))).toEqual([]);
    } finally {
      await s.stop();
    }
  }, 30_000);
});
