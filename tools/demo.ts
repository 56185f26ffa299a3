import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDriver } from '../standins/driver/index.js';
import { type OpenAIStandin, startOpenAI } from '../standins/llm/index.js';
import { type BotProcess, botEnv, startTestRedis, stopAll } from '../standins/processes.js';
import { type SlackApiStandin, startSlackApi } from '../standins/slack/index.js';
import { conversation } from './demo-conversation.js';
import {
  ALICE,
  BOT,
  CHANNEL,
  type Demo,
  out,
  realLlm,
  realLlmEnv,
  SIGNING_SECRET,
  STANDIN_PACE,
  StepFailed,
  seconds,
  standinAnswer,
  startWebAndWorker,
  stepsRun,
  TEAM,
} from './demo-kit.js';
import { displayWidth } from './render.js';

/**
 * `npm run demo`: Backchannel at work with no Slack workspace and no API key. It starts a throwaway
 * `redis-server`, the Slack Web API and OpenAI stand-ins, and the built bot as two real processes
 * (`--role web` and `--role worker`), then plays a short conversation through signed Slack requests
 * and prints it as a Slack user would see it. Each step waits with a deadline; a step that does not
 * happen fails the demo (exit 1). Every child is stopped on the way out, on failure and Ctrl-C too.
 *
 * With OPENAI_API_KEY or OPENAI_BASE_URL set, the bot talks to that LLM instead of the stand-in;
 * the steps then check only what Slack shows, never what the answer says.
 */

// ----- start, run, stop ----------------------------------------------------------------------------

const main = async (): Promise<number> => {
  const started = performance.now();
  const workDir = mkdtempSync(path.join(tmpdir(), 'backchannel-demo-'));
  let slack: SlackApiStandin | undefined;
  let llm: OpenAIStandin | undefined;
  const bots: BotProcess[] = [];

  let redisDir: string | undefined;
  /** Set by Ctrl-C or SIGTERM: the exit code to leave with. */
  let interrupted: number | undefined;

  let stopping: Promise<void> | undefined;
  const cleanup = () => {
    stopping ??= (async () => {
      // The bots first, while Redis still answers, so their shutdown is the clean one; then Redis.
      // After Ctrl-C Redis is usually gone already (it shares the terminal's process group): no waiting.
      await Promise.allSettled(bots.map((b) => b.stop(interrupted ? 2_000 : 10_000)));
      await stopAll();
      await Promise.allSettled([slack?.close(), llm?.close()]);
      for (const dir of [workDir, redisDir]) if (dir) rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const stoppedLine = (since: number) =>
    `Stopped redis-server and both bot processes (${seconds(performance.now() - since)}).`;
  const onSignal = (signal: NodeJS.Signals, code: number) => () => {
    if (interrupted !== undefined) process.exit(code); // a second Ctrl-C: the exit handler of processes.ts SIGKILLs the rest
    interrupted = code;
    const since = performance.now();
    process.stderr.write(`\n${signal}: stopping redis-server and the bot processes…\n`);
    setTimeout(() => process.exit(code), 15_000).unref();
    void cleanup().finally(() => {
      out(stoppedLine(since));
      process.exit(code);
    });
  };
  process.on('SIGINT', onSignal('SIGINT', 130));
  process.on('SIGTERM', onSignal('SIGTERM', 143));

  out(
    realLlm
      ? 'Backchannel demo: a Slack conversation with no Slack workspace, answered by your LLM.'
      : 'Backchannel demo: a Slack conversation with no Slack workspace and no API key.',
  );
  try {
    const redis = await startTestRedis();
    redisDir = redis.dir;
    [slack, llm] = await Promise.all([
      startSlackApi({
        teamId: TEAM,
        botUserId: BOT,
        users: { [ALICE]: { name: 'alice', real_name: 'Alice Liddell', display_name: 'Alice' } },
      }),
      realLlm ? Promise.resolve(undefined) : startOpenAI({ ...STANDIN_PACE, text: standinAnswer }),
    ]);
    slack.setChannel(CHANNEL, { name: 'general' });
    const env = botEnv({
      slackApiUrl: slack.apiUrl,
      openaiBaseUrl: llm?.baseUrl ?? '',
      redisUrl: redis.url,
      signingSecret: SIGNING_SECRET,
      extra: {
        REDIS_PREFIX: 'demo',
        // Home re-publishes are coalesced; a short window keeps the demo quick.
        HOME_COALESCE_MS: '200',
        SHUTDOWN_TIMEOUT_MS: '5000',
        ...(llm ? {} : realLlmEnv()),
      },
    });
    const { web, worker } = await startWebAndWorker(env, workDir);
    bots.push(web, worker);
    const d: Demo = {
      slack,
      llm,
      driver: createDriver({ url: web.url, signingSecret: SIGNING_SECRET, slack }),
      web: web,
      worker: worker,
    };
    const rows: [string, string][] = [
      ['redis-server', `${redis.url} (throwaway, data in ${redis.dir})`],
      ['Slack API', `stand-in at ${slack.apiUrl}`],
      [
        'LLM',
        llm
          ? `stand-in at ${llm.baseUrl}, ${STANDIN_PACE.tokensPerSecond} tokens/s (set OPENAI_API_KEY or OPENAI_BASE_URL for a real one)`
          : `${process.env.OPENAI_BASE_URL ?? 'OpenAI'}, model ${process.env.OPENAI_MODEL ?? 'gpt-4o-mini'}`,
      ],
      ['web process', `pid ${web.pid}, ${web.url}/slack/events  (node dist/src/main.js --role web)`],
      ['worker process', `pid ${worker.pid}  (node dist/src/main.js --role worker)`],
    ];
    const col = Math.max(...rows.map(([k]) => displayWidth(k)));
    for (const [k, v] of rows) out(`   ${k.padEnd(col)}  ${v}`);
    out(`   started in ${seconds(performance.now() - started)}`);

    await conversation(d);
    out();
    out(`All ${stepsRun()} steps happened, in ${seconds(performance.now() - started)}.`);
    return 0;
  } catch (err) {
    if (interrupted !== undefined) return interrupted;
    out();
    process.stderr.write(
      `✗ ${err instanceof StepFailed ? err.message : `the demo failed: ${(err as Error).message}`}\n`,
    );
    for (const bot of bots) {
      const exit = bot.exitInfo();
      if (exit) process.stderr.write(`the ${bot.role} process had exited (${exit.code ?? exit.signal})\n`);
      const tail = bot
        .logs()
        .filter((l) => (l.level ?? 50) >= 40)
        .slice(-10)
        .map((l) => l.raw);
      if (tail.length > 0)
        process.stderr.write(`\nlast warnings and errors of the ${bot.role} process:\n${tail.join('\n')}\n`);
    }
    return 1;
  } finally {
    const since = performance.now();
    await cleanup();
    if (interrupted === undefined) out(stoppedLine(since));
  }
};

void main().then((code) => process.exit(code));
