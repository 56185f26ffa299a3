import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectLogs, type ExitInfo, type LogLine, type LogMatcher } from './child-logs.js';
import { sleep } from './http.js';
import { freePort, startRedis, type ThrowawayRedis } from './redis-server.js';

export type { ExitInfo, LogLine, LogMatcher } from './child-logs.js';

/**
 * Runs the built bot (`node dist/src/main.js [--role web|worker]`) as a child in its own process
 * group, captures its pino JSON logs, waits for `GET /healthz`, and stops it by group: SIGTERM, then
 * SIGKILL after a deadline. Every child is registered for cleanup — with the scope a caller set
 * (test support ties it to the test that started it) and, as a last resort, when this process
 * exits — so no bot or Redis outlives a failed test or an interrupted demo.
 */

/** The folder holding package.json, whether this file runs from standins/ or dist/standins/. */
const findRoot = (from: string): string => {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
};
export const REPO_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const BOT_ENTRY = path.join(REPO_ROOT, 'dist/src/main.js');

export type Role = 'all' | 'web' | 'worker';

export interface BotProcess {
  child: ChildProcess;
  pid: number;
  role: Role;
  /** The PORT it was given. */
  port: number;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  logs(): LogLine[];
  /** Everything it wrote, both streams interleaved, for failure messages. */
  output(): string;
  /** Resolves with the first log line (past or future) matching; rejects on timeout or exit. */
  waitForLog(match: LogMatcher, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when the process has exited. */
  exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | undefined;
  /** SIGTERM to the group, SIGKILL after `timeoutMs` (default 10 s). */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** Sends a signal to the whole group at once (default SIGKILL, for crash tests) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
}

export interface StartBotOptions {
  role?: Role;
  /** The bot's environment (see `botEnv`). Nothing is inherited except PATH and HOME. */
  env: Record<string, string | undefined>;
  /** PORT; a free one by default (an explicit `env.PORT` wins). */
  port?: number;
  /** What "started" means: `/healthz` answering 200 (default for web/all), a log line, or nothing (default for worker). */
  ready?: 'healthz' | 'none' | LogMatcher;
  readyTimeoutMs?: number;
  /** Script to run instead of the built bot (tests of these helpers use a fixture). */
  entry?: string;
  args?: string[];
  cwd?: string;
}

type Cleanup = { kill(): void; stop(): Promise<unknown> };

const live = new Set<Cleanup>();

/** Kills every child still running, synchronously (for `exit` handlers). */
const killAllNow = () => {
  for (const c of live) c.kill();
};
process.once('exit', killAllNow);

/** Stops every child still running (SIGTERM, then SIGKILL). */
export const stopAll = async (): Promise<void> => {
  await Promise.allSettled([...live].map((c) => c.stop()));
};

let scope: ((stop: () => Promise<unknown>) => void) | undefined;

/** Where each child's stop goes besides the exit handler: test support ties it to the running test. */
export const setCleanupScope = (fn: (stop: () => Promise<unknown>) => void): void => {
  scope = fn;
};

const registerCleanup = (entry: Cleanup) => {
  live.add(entry);
  scope?.(entry.stop);
};

/** The environment contract of `dist/src/main.js`, filled from the stand-ins. */
export const botEnv = (o: {
  slackApiUrl: string;
  openaiBaseUrl: string;
  redisUrl: string;
  signingSecret: string;
  botToken?: string;
  openaiApiKey?: string;
  logLevel?: string;
  extra?: Record<string, string | undefined>;
}): Record<string, string | undefined> => ({
  NODE_ENV: 'test',
  LOG_LEVEL: o.logLevel ?? 'info',
  SLACK_BOT_TOKEN: o.botToken ?? 'xoxb-test-token',
  SLACK_SIGNING_SECRET: o.signingSecret,
  SLACK_API_URL: o.slackApiUrl,
  OPENAI_API_KEY: o.openaiApiKey ?? 'sk-test',
  OPENAI_BASE_URL: o.openaiBaseUrl,
  REDIS_URL: o.redisUrl,
  ...o.extra,
});

/** Polls until `probe` returns a truthy value (returned), or throws after `timeoutMs`. */
export const waitFor = async <T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> => {
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}`);
    await sleep(opts.intervalMs ?? 25);
  }
};

/** Fails loudly when the bot has not been built: tests run `dist/`, not `src/`. */
export const assertBuilt = (entry = BOT_ENTRY): void => {
  if (!existsSync(entry))
    throw new Error(`${path.relative(REPO_ROOT, entry)} is missing: run \`npm run build\` first`);
};

/** Starts the built bot and waits until it is ready. */
export const startBot = async (opts: StartBotOptions): Promise<BotProcess> => {
  const role = opts.role ?? 'all';
  const entry = opts.entry ?? BOT_ENTRY;
  assertBuilt(entry);
  const port = Number(opts.env.PORT ?? opts.port ?? (await freePort()));
  const args = [entry, ...(opts.args ?? (role === 'all' ? [] : ['--role', role]))];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...opts.env,
    PORT: String(port),
  }))
    if (v !== undefined) env[k] = v;

  // detached: the child leads its own process group, so a signal to -pid reaches anything it spawned.
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exit: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      live.delete(handle);
      resolve(exit);
    });
  });

  const logs = collectLogs(child, exited);

  const signalGroup = (signal: NodeJS.Signals) => {
    if (exit || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };

  const stop = async (timeoutMs = 10_000): Promise<ExitInfo> => {
    if (exit) return exit;
    signalGroup('SIGTERM');
    const timer = setTimeout(() => signalGroup('SIGKILL'), timeoutMs);
    const info = await exited;
    clearTimeout(timer);
    // Grandchildren may outlive the leader; they are in its group.
    signalGroup('SIGKILL');
    return info;
  };

  const handle = { kill: () => signalGroup('SIGKILL'), stop };
  registerCleanup(handle);

  if (child.pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`could not start ${entry}: ${err.message}`);
  }

  const bot: BotProcess = {
    child,
    pid: child.pid,
    role,
    port,
    url: `http://127.0.0.1:${port}`,
    logs: logs.lines,
    output: logs.output,
    waitForLog: logs.waitForLog,
    exited,
    exitInfo: () => exit,
    stop,
    kill: async (signal = 'SIGKILL') => {
      signalGroup(signal);
      return exited;
    },
  };

  const ready = opts.ready ?? (role === 'worker' ? 'none' : 'healthz');
  const timeoutMs = opts.readyTimeoutMs ?? 20_000;
  try {
    if (ready === 'healthz') await waitForHealth(bot, timeoutMs);
    else if (ready !== 'none') await logs.waitForLog(ready, timeoutMs);
  } catch (err) {
    await stop(2000);
    throw err;
  }
  return bot;
};

/** Polls `GET /healthz` until it answers 200; fails early, with the output, if the process exits. */
export const waitForHealth = async (bot: BotProcess, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    const info = bot.exitInfo();
    if (info)
      throw new Error(`bot exited (${info.code ?? info.signal}) before /healthz answered:\n${bot.output()}`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 1000);
    try {
      const res = await fetch(`${bot.url}/healthz`, { signal: controller.signal });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
    await sleep(50);
  }
  throw new Error(`/healthz not 200 within ${timeoutMs} ms (last: ${last}). Output:\n${bot.output()}`);
};

/** A throwaway `redis-server` (see redis-server.ts), stopped with the scope that started it. */
export const startTestRedis = async (
  opts: Parameters<typeof startRedis>[0] = {},
): Promise<ThrowawayRedis> => {
  const redis = await startRedis(opts);
  const handle = {
    kill: () => {
      if (redis.child.exitCode === null && redis.child.signalCode === null) redis.child.kill('SIGKILL');
    },
    stop: async () => {
      live.delete(handle);
      await redis.stop();
    },
  };
  registerCleanup(handle);
  return redis;
};

export { freePort, startRedis };
