import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { isRedisAnswering, LocalRedisUnavailable, resolveRedis, startLocalRedis } from '../src/dev-redis.js';
import { freePort } from '../standins/redis-server.js';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the development Redis that npm start brings up', () => {
  it('starts redis-server with its data and an append-only file under the data folder', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bc-local-'));
    dirs.push(dataDir);
    const url = `redis://127.0.0.1:${await freePort()}`;
    expect(await isRedisAnswering(url)).toBe(false);
    const local = await startLocalRedis({ url, dataDir, logger });
    try {
      expect(await isRedisAnswering(url)).toBe(true);
      const files = readdirSync(dataDir, { recursive: true }).map(String);
      expect(files.some((f) => f.includes('appendonly'))).toBe(true);
    } finally {
      await local.stop();
    }
    expect(await isRedisAnswering(url)).toBe(false);
  });

  it('says in one line how to get Redis when redis-server is not installed', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bc-local-'));
    dirs.push(dataDir);
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const err = await startLocalRedis({
        url: `redis://127.0.0.1:${await freePort()}`,
        dataDir,
        logger,
      }).catch((e) => e);
      expect(err).toBeInstanceOf(LocalRedisUnavailable);
      expect(err.message).not.toContain('\n');
      expect(err.message).toMatch(/install|REDIS_URL/);
    } finally {
      process.env.PATH = saved;
    }
    expect(existsSync(dataDir)).toBe(true);
  });
});

describe('where the app’s Redis is', () => {
  const config = (o: { url?: string; defaultUrl: string; production?: boolean }) => ({
    redis: { url: o.url, defaultUrl: o.defaultUrl, prefix: 'bc' },
    production: o.production ?? false,
  });
  const tmp = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bc-local-'));
    dirs.push(dir);
    return dir;
  };

  it('is REDIS_URL when it is set, whether or not it answers yet', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const found = await resolveRedis(config({ url, defaultUrl: inject('redisUrl') }), {
      dataDir: tmp(),
      logger,
    });
    expect(found.url).toBe(url);
    expect(await isRedisAnswering(url)).toBe(false);
  });

  it('is the default address when a Redis answers there: nothing is started', async () => {
    const dataDir = tmp();
    const found = await resolveRedis(config({ defaultUrl: inject('redisUrl') }), { dataDir, logger });
    expect(found.url).toBe(inject('redisUrl'));
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('in production, never starts its own: a missing Redis is an error naming REDIS_URL', async () => {
    const defaultUrl = `redis://127.0.0.1:${await freePort()}`;
    await expect(
      resolveRedis(config({ defaultUrl, production: true }), { dataDir: tmp(), logger }),
    ).rejects.toThrow(/set REDIS_URL/);
    expect(await isRedisAnswering(defaultUrl)).toBe(false);
  });

  it('outside production, starts a local one at the default address, stopped with the app', async () => {
    const defaultUrl = `redis://127.0.0.1:${await freePort()}`;
    const found = await resolveRedis(config({ defaultUrl }), { dataDir: tmp(), logger });
    expect(found.url).toBe(defaultUrl);
    expect(await isRedisAnswering(defaultUrl)).toBe(true);
    await found.stopLocal();
    expect(await isRedisAnswering(defaultUrl)).toBe(false);
  });
});
