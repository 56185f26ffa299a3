import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isRedisAnswering, LocalRedisUnavailable, startLocalRedis } from '../src/dev-redis.js';
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
