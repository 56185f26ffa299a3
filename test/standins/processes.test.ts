import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotProcess, botEnv, startBot, startTestRedis, waitFor } from '../support/processes.js';

/**
 * A stand-in for `dist/src/main.js`: serves /healthz, logs pino-style JSON lines, starts a
 * grandchild (to prove group kills reach it), and shuts down on SIGTERM unless told to ignore it.
 */
const FIXTURE = `
import http from 'node:http';
import { spawn } from 'node:child_process';
const log = (level, msg, extra = {}) => console.log(JSON.stringify({ level, time: Date.now(), msg, ...extra }));
if (process.env.CRASH_AT_START) { console.error('boom: bad settings'); process.exit(3); }
const grandchild = spawn('sleep', ['60'], { stdio: 'ignore' });
const server = http.createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end('ok'));
server.listen(Number(process.env.PORT), '127.0.0.1', () =>
  log(30, 'listening', { port: Number(process.env.PORT), role: process.argv[3] ?? 'all', grandchild: grandchild.pid,
    sawVitest: Object.keys(process.env).some((k) => k.startsWith('VITEST')), slackApiUrl: process.env.SLACK_API_URL }));
process.on('SIGTERM', () => {
  if (process.env.IGNORE_SIGTERM) { log(40, 'ignoring SIGTERM'); return; }
  log(30, 'shutting down');
  server.close(() => process.exit(0));
});
`;

let dir: string;
let entry: string;
const env = botEnv({
  slackApiUrl: 'http://127.0.0.1:1/api/',
  openaiBaseUrl: 'http://127.0.0.1:1/v1',
  redisUrl: 'redis://127.0.0.1:1',
  signingSecret: 'secret',
});

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'backchannel-proc-'));
  entry = path.join(dir, 'main.mjs');
  writeFileSync(entry, FIXTURE);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Running, and not a zombie waiting for init to reap it. */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

const grandchildOf = async (bot: BotProcess): Promise<number> =>
  Number((await bot.waitForLog('listening')).fields.grandchild);

describe('startBot', () => {
  it('starts the process, waits for /healthz, and parses its JSON logs', async () => {
    const bot = await startBot({ entry, role: 'web', env });
    const res = await fetch(`${bot.url}/healthz`);
    expect(res.status).toBe(200);
    const line = await bot.waitForLog((l) => l.msg === 'listening');
    expect(line).toMatchObject({ level: 30, stream: 'stdout', fields: { port: bot.port, role: 'web' } });
    // Only the given environment reaches the child.
    expect(line.fields).toMatchObject({ sawVitest: false, slackApiUrl: 'http://127.0.0.1:1/api/' });
    await bot.stop();
  });

  it('stops the whole process group with SIGTERM', async () => {
    const bot = await startBot({ entry, env });
    const grandchild = await grandchildOf(bot);
    expect(alive(grandchild)).toBe(true);
    expect(await bot.stop()).toEqual({ code: 0, signal: null });
    await bot.waitForLog('shutting down');
    await waitFor(() => !alive(grandchild), { what: 'the grandchild to die' });
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const bot = await startBot({ entry, env: { ...env, IGNORE_SIGTERM: '1' } });
    expect(await bot.stop(300)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(bot.logs().some((l) => l.msg === 'ignoring SIGTERM')).toBe(true);
  });

  it('kills at once for crash tests', async () => {
    const bot = await startBot({ entry, env });
    expect(await bot.kill()).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('fails with the output when the process dies before it is ready', async () => {
    await expect(startBot({ entry, env: { ...env, CRASH_AT_START: '1' } })).rejects.toThrow(
      /boom: bad settings/,
    );
  });

  it('fails loudly when the bot has not been built', async () => {
    await expect(startBot({ entry: path.join(dir, 'missing.js'), env })).rejects.toThrow(/npm run build/);
  });

  let leftRunning: number | undefined;
  it('leaves a process running on purpose (the next test checks it was cleaned up)', async () => {
    const bot = await startBot({ entry, env });
    leftRunning = await grandchildOf(bot);
  });
  it('cleaned up the process group the previous test left running', async () => {
    expect(leftRunning).toBeDefined();
    await waitFor(() => !alive(leftRunning!), { what: 'the leftover group to be stopped' });
  });
});

describe('startTestRedis', () => {
  it('starts a throwaway redis that answers PING', async () => {
    const redis = await startTestRedis();
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(redis.port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (d) => {
        resolve(d.toString());
        socket.end();
      });
      socket.once('error', reject);
    });
    expect(reply).toBe('+PONG\r\n');
    await redis.stop();
  });
});
