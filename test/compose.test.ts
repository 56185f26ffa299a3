import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { loadConfig } from '../src/core/config.js';
import { freePort } from '../standins/redis-server.js';
import { startTestBot, type TestBot } from './support/in-process-bot.js';

/**
 * compose.yaml runs the fleet: Redis, one web, N workers (`docker compose up --scale worker=4`).
 * Docker does not run on the test machines, so the file is checked here for what Compose would
 * do with it, and its Redis flags and healthcheck commands are run for real.
 */
const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
// Compose resolves YAML merge keys (`<<: *bot`); YAML 1.2 parsers need to be asked to.
const compose = parse(read('compose.yaml'), { merge: true }) as unknown;

const healthcheck = z.object({
  test: z.array(z.string()).min(2),
  interval: z.string(),
  timeout: z.string(),
  retries: z.number().int().min(1),
});
const bot = z.object({
  build: z.literal('.'),
  image: z.string().min(1),
  command: z.array(z.string()),
  env_file: z.literal('.env'),
  environment: z.object({
    REDIS_URL: z.literal('redis://redis:6379'),
    PORT: z.string(),
    NODE_ENV: z.literal('production'),
  }),
  depends_on: z.object({ redis: z.object({ condition: z.literal('service_healthy') }) }),
  healthcheck,
  stop_grace_period: z.string().regex(/^\d+s$/),
});
const shape = z.object({
  services: z.strictObject({
    redis: z.object({ image: z.string().regex(/^redis:/), command: z.array(z.string()), healthcheck }),
    web: bot.extend({ ports: z.array(z.string()).length(1) }),
    worker: bot,
  }),
});
const file = shape.parse(compose);
const { redis, web, worker } = file.services;

describe('compose.yaml', () => {
  it('runs redis, one web and a worker role built from the Dockerfile, as node dist/src/main.js --role …', () => {
    expect(web.command).toEqual(['--role', 'web']);
    expect(worker.command).toEqual(['--role', 'worker']);
    expect(worker.image).toBe(web.image);
    // The image's entrypoint is what the npm scripts run; compose only adds the role.
    expect(read('Dockerfile')).toMatch(
      /^ENTRYPOINT \["node", "--max-semi-space-size=4", "dist\/src\/main\.js"\]$/m,
    );
    expect(JSON.parse(read('package.json')).scripts.web).toContain(
      'node --max-semi-space-size=4 dist/src/main.js --role web',
    );
  });

  it('lets the worker scale: no fixed container name, host port or network identity', () => {
    const raw = (compose as { services: { worker: Record<string, unknown> } }).services.worker;
    for (const fixed of ['container_name', 'ports', 'hostname', 'mac_address'])
      expect(raw).not.toHaveProperty(fixed);
    expect(raw).not.toHaveProperty('deploy.replicas');
  });

  it("publishes the web's port to the one PORT the container listens on", () => {
    expect(web.ports[0]).toMatch(new RegExp(`:${web.environment.PORT}$`));
    for (const role of [web, worker])
      expect(role.healthcheck.test.join(' ')).toContain(`:${role.environment.PORT}/healthz`);
  });

  it('gives a stopping process its whole shutdown deadline before Compose kills it', () => {
    const deadline = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).shutdownTimeoutMs;
    for (const role of [web, worker])
      expect(Number.parseInt(role.stop_grace_period, 10) * 1000).toBeGreaterThanOrEqual(deadline + 3_000);
  });
});

describe("compose.yaml's Redis", () => {
  let child: ChildProcess;
  let client: Redis;
  let dir: string;
  beforeAll(async () => {
    const port = await freePort();
    dir = mkdtempSync(path.join(tmpdir(), 'compose-redis-'));
    const [binary, ...flags] = redis.command;
    expect(binary).toBe('redis-server');
    // The compose flags as written, on the redis-server the tests use, on a port and folder of its own.
    child = spawn('redis-server', [...flags, '--port', String(port), '--dir', dir, '--save', ''], {
      stdio: 'ignore',
    });
    // Commands wait in ioredis's offline queue until the server is up (refused connects are retried).
    client = new Redis(port, '127.0.0.1', { retryStrategy: () => 50, maxRetriesPerRequest: null });
    client.on('error', () => {});
    await client.ping();
  });
  afterAll(async () => {
    await client.quit().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with append-only persistence and noeviction, as BullMQ needs', async () => {
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
  });

  it('has a healthcheck that asks redis-cli for a PONG', () => {
    expect(redis.healthcheck.test).toEqual(['CMD-SHELL', 'redis-cli ping | grep -q PONG']);
  });
});

describe("compose.yaml's bot healthcheck", () => {
  let bot: TestBot;
  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    bot = await startTestBot({ redisUrl: inject('redisUrl'), role: 'worker' });
  });
  afterAll(async () => {
    await bot.stop();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  /** Runs the healthcheck's `node -e` script as Docker would, pointed at `port`. */
  const probe = (port: number) => {
    const [kind, binary, flag, script] = worker.healthcheck.test;
    expect([kind, binary, flag]).toEqual(['CMD', 'node', '-e']);
    const here = (script ?? '').replace(`:${worker.environment.PORT}/`, `:${port}/`);
    // Not spawnSync: the bot answering it runs in this very process.
    return new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['-e', here], { stdio: 'ignore', timeout: 20_000 });
      child.once('exit', (code) => resolve(code));
    });
  };

  it('passes on a worker process that is up, and fails where nothing answers', async () => {
    expect(worker.healthcheck.test).toEqual(web.healthcheck.test);
    expect(await probe(bot.bot.port)).toBe(0);
    expect(await probe(await freePort())).toBe(1);
  });
});
