import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { createDriver } from '../standins/driver/index.js';
import { type OpenAIStandin, startOpenAI } from '../standins/llm/index.js';
import type { Shortcut, User } from '../standins/playground/page.js';
import { type Playground, startPlayground } from '../standins/playground/server.js';
import { type BotProcess, botEnv, REPO_ROOT, startTestRedis, stopAll } from '../standins/processes.js';
import { type SlackApiStandin, startSlackApi } from '../standins/slack/index.js';
import { realLlm, realLlmEnv, standinAnswer, startWebAndWorker } from './demo-kit.js';

/**
 * `npm run playground` (and `npm start` with no Slack settings outside production): Backchannel in a
 * browser with no Slack workspace. It starts a throwaway `redis-server`, the Slack Web API stand-in,
 * the LLM stand-in (or your LLM when OPENAI_API_KEY / OPENAI_BASE_URL is set), the built bot as its
 * two real processes (web and worker), and the playground page on 127.0.0.1 (PLAYGROUND_PORT,
 * default 3210; 0 picks a free port). Ctrl-C or SIGTERM stops all of it.
 */

const TEAM = 'T0PLAY';
const BOT = 'U0BOT';
const USERS: User[] = [
  { id: 'U0ALICE', name: 'Alice' },
  { id: 'U0BOB', name: 'Bob' },
  { id: 'U0ADMIN', name: 'Admin', admin: true },
];
const CHANNELS = [
  { id: 'C0GENERAL', name: 'general' },
  { id: 'C0RANDOM', name: 'random' },
];
const PACE = { ttftMs: 300, tokensPerSecond: 40 };

const portSchema = z.coerce.number().int().min(0).max(65_535);

const readPort = (): number => {
  const raw = process.env.PLAYGROUND_PORT;
  if (raw === undefined || raw === '') return 3210;
  const parsed = portSchema.safeParse(raw);
  if (!parsed.success) throw new Error('PLAYGROUND_PORT: must be a port number (0 for any free port)');
  return parsed.data;
};

/** The message shortcuts the app declares, read from manifest.yml as Slack reads them. */
const manifestShortcuts = (): Shortcut[] => {
  const manifest = z
    .object({
      features: z
        .object({
          shortcuts: z
            .array(z.object({ name: z.string(), type: z.string(), callback_id: z.string() }))
            .optional(),
        })
        .optional(),
    })
    .parse(parseYaml(readFileSync(path.join(REPO_ROOT, 'manifest.yml'), 'utf8')));
  return (manifest.features?.shortcuts ?? [])
    .filter((s) => s.type === 'message')
    .map((s) => ({ callbackId: s.callback_id, name: s.name }));
};

const out = (text: string) => process.stdout.write(`${text}\n`);

const main = async (): Promise<void> => {
  const port = readPort();
  const workDir = mkdtempSync(path.join(tmpdir(), 'backchannel-playground-'));
  const signingSecret = randomBytes(16).toString('hex');
  let slack: SlackApiStandin | undefined;
  let llm: OpenAIStandin | undefined;
  let page: Playground | undefined;
  let redisDir: string | undefined;
  const bots: BotProcess[] = [];

  let stopping: Promise<void> | undefined;
  const cleanup = () => {
    stopping ??= (async () => {
      await page?.close();
      await Promise.allSettled(bots.map((b) => b.stop(5_000)));
      await stopAll();
      await Promise.allSettled([slack?.close(), llm?.close()]);
      for (const dir of [workDir, redisDir]) if (dir) rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const onSignal = (code: number) => () => {
    if (stopping) process.exit(code);
    setTimeout(() => process.exit(code), 10_000).unref();
    void cleanup().finally(() => process.exit(code));
  };
  process.on('SIGINT', onSignal(130));
  process.on('SIGTERM', onSignal(143));

  try {
    const redis = await startTestRedis();
    redisDir = redis.dir;
    [slack, llm] = await Promise.all([
      startSlackApi({
        teamId: TEAM,
        botUserId: BOT,
        users: Object.fromEntries(
          USERS.map((u) => [
            u.id,
            {
              name: u.name.toLowerCase(),
              real_name: u.name,
              display_name: u.name,
              is_admin: u.admin === true,
            },
          ]),
        ),
      }),
      realLlm ? Promise.resolve(undefined) : startOpenAI({ ...PACE, text: standinAnswer }),
    ]);
    for (const c of CHANNELS) slack.setChannel(c.id, { name: c.name });
    const env = botEnv({
      slackApiUrl: slack.apiUrl,
      openaiBaseUrl: llm?.baseUrl ?? '',
      redisUrl: redis.url,
      signingSecret,
      logLevel: 'warn',
      extra: {
        NODE_ENV: 'development',
        REDIS_PREFIX: 'playground',
        HOME_COALESCE_MS: '200',
        SHUTDOWN_TIMEOUT_MS: '3000',
        ...(llm ? {} : realLlmEnv()),
      },
    });
    const { web, worker } = await startWebAndWorker(env, workDir);
    bots.push(web, worker);
    page = await startPlayground({
      slack,
      llm,
      driver: createDriver({ url: web.url, signingSecret, slack }),
      users: USERS,
      channels: CHANNELS,
      shortcuts: manifestShortcuts(),
      port,
      llmSettings: { ...PACE, text: standinAnswer },
    });
    out(`Playground: ${page.url}`);
    out(
      `   Backchannel on stand-ins (Slack, ${llm ? 'LLM' : 'with your LLM'}, a throwaway Redis); Ctrl-C stops it.`,
    );
    out(
      '   To connect a real workspace instead: create the app from manifest.yml and set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in .env (README, "Setting up the Slack app").',
    );
    const exits = bots.map((b) => b.exited.then(() => b));
    const gone = await Promise.race(exits);
    if (!stopping) {
      process.stderr.write(`the bot's ${gone.role} process exited; stopping the playground\n`);
      process.exitCode = 1;
    }
  } catch (err) {
    process.stderr.write(`the playground failed to start: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
  await cleanup();
};

void main().then(() => process.exit(process.exitCode ?? 0));
