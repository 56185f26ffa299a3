import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, onTestFinished } from 'vitest';
import { createKeys } from '../../src/sessions/keys.js';
import { createDriver } from '../../standins/driver/index.js';
import { contentText, contextEcho, type OpenAIStandin, startOpenAI } from '../../standins/llm/index.js';
import {
  botReplies,
  type SlackApiStandin,
  type StoredMessage,
  shownText,
  startSlackApi,
} from '../../standins/slack/index.js';
import { assertBuilt, BOT_ENTRY, botEnv, startBot } from '../support/processes.js';

/** Helpers shared by the end-to-end files: the built bot, talking to the stand-ins over loopback. */

export const SIGNING_SECRET = 'e2e-signing-secret';

/** Every answer from the OpenAI stand-in ends with this, so a cut-off answer is told from a whole one. */
export const ANSWER_END = 'over-and-out';

/** An id Slack-shaped enough for the bot (`C…`, `U…`), unique per call. */
export const uniqueId = (prefix: 'C' | 'U'): string =>
  `${prefix}${randomBytes(5).toString('hex').toUpperCase()}`;

/** A question that no other test asks, so LLM requests and answers can be attributed to it. */
export const uniqueQuestion = (topic: string): string => `${topic} ${randomBytes(3).toString('hex')}?`;

/**
 * A working directory with no `.env`: the bot loads `./.env` when present, and a developer's
 * (Socket Mode token, real Slack URL…) must not leak into these tests.
 */
export const emptyWorkDir = (): string => mkdtempSync(path.join(tmpdir(), 'backchannel-e2e-'));

/**
 * The Slack and OpenAI stand-ins of one test file, started at its top level
 * (`const { slack, openai } = await fileStandins(…)`) and closed after its tests.
 */
export const fileStandins = async (llm?: Parameters<typeof startOpenAI>[0]) => {
  const [slack, openai] = await Promise.all([startSlackApi(), startOpenAI(llm)]);
  afterAll(async () => {
    await Promise.all([slack.close(), openai.close()]);
  });
  return { slack, openai };
};

/** The echo of the context, filler words and ANSWER_END. */
export const answerText = (req: Parameters<OpenAIStandin['answerFor']>[0]): string =>
  `${contextEcho(req.messages)} alpha bravo charlie delta ${ANSWER_END}`;

/** The bot's environment for one deployment: its own key prefix on a shared Redis. */
export const e2eEnv = (o: {
  slack: SlackApiStandin;
  openai: OpenAIStandin;
  redisUrl: string;
  prefix: string;
  extra?: Record<string, string | undefined>;
}): Record<string, string | undefined> =>
  botEnv({
    slackApiUrl: o.slack.apiUrl,
    openaiBaseUrl: o.openai.baseUrl,
    redisUrl: o.redisUrl,
    signingSecret: SIGNING_SECRET,
    logLevel: 'info',
    // The stand-in enforces no limits unless a test turns them on (and sets its own budget scale).
    extra: { REDIS_PREFIX: o.prefix, SLACK_BUDGET_SCALE: '1000', ...o.extra },
  });

export const uniquePrefix = (name: string): string => `{e2e-${name}-${randomBytes(3).toString('hex')}}`;

/**
 * One deployment on a shared Redis: its own key prefix, `webs` web processes (1) and `workers`
 * worker processes (1) started together in a fresh working directory, and a driver signing
 * requests to the first web process. `worker` is the first worker.
 */
export const deploy = async (o: {
  slack: SlackApiStandin;
  openai: OpenAIStandin;
  redisUrl: string;
  name: string;
  webs?: number;
  workers?: number;
  extra?: Record<string, string | undefined>;
}) => {
  const prefix = uniquePrefix(o.name);
  const env = e2eEnv({ slack: o.slack, openai: o.openai, redisUrl: o.redisUrl, prefix, extra: o.extra });
  const cwd = emptyWorkDir();
  const startWorker = () => startBot({ role: 'worker', env, cwd, ready: 'healthz' });
  const webCount = o.webs ?? 1;
  const procs = await Promise.all([
    ...Array.from({ length: webCount }, () => startBot({ role: 'web', env, cwd })),
    ...Array.from({ length: o.workers ?? 1 }, startWorker),
  ]);
  const webs = procs.slice(0, webCount);
  const workers = procs.slice(webCount);
  const web = webs[0]!;
  const driver = createDriver({ url: web.url, signingSecret: SIGNING_SECRET, slack: o.slack });
  return {
    prefix,
    keys: createKeys(prefix),
    env,
    cwd,
    web,
    webs,
    worker: workers[0]!,
    workers,
    driver,
    startWorker,
  };
};

/** The id of the request a message in `channel` at `ts` made (its record's key, its log lines' `requestId`). */
export const requestIdOf = (slack: SlackApiStandin, channel: string, ts: string): string =>
  `${slack.teamId}:${channel}:${ts}`;

export { botReplies, shownText };

/** A bot message that answers `question` in full: the echo names it, the text reached the end, the stream is closed. */
export const isCompleteAnswer = (m: StoredMessage, question: string): boolean => {
  const text = shownText(m);
  return (
    text.includes(question) && text.includes(ANSWER_END) && (m.stream === undefined || m.stream === 'stopped')
  );
};

export const completeAnswers = (
  slack: SlackApiStandin,
  channel: string,
  threadTs: string,
  question: string,
): StoredMessage[] => botReplies(slack, channel, threadTs).filter((m) => isCompleteAnswer(m, question));

/** Chat Completions requests whose last user message asks `question`. */
export const llmRequestsFor = (openai: OpenAIStandin, question: string) =>
  openai.requests().filter((r) => {
    const lastUser = [...r.messages].reverse().find((m) => m.role === 'user');
    return contentText(lastUser?.content).includes(question);
  });

/** Every Slack Web API call the bot made about a channel. */
export const callsIn = (slack: SlackApiStandin, channel: string) =>
  slack.calls().filter((c) => c.params.channel === channel || c.params.channel_id === channel);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A signed-or-not `app_mention` envelope as Slack sends it, for requests the driver's helpers
 * cannot shape (a real mention sent unsigned, or sent again without retry headers).
 */
export const mentionEnvelope = (o: {
  slack: SlackApiStandin;
  channel: string;
  user: string;
  text: string;
  ts: string;
  eventId?: string;
}): { body: string; eventId: string } => {
  const eventId = o.eventId ?? `Ev${randomBytes(6).toString('hex').toUpperCase()}`;
  const body = JSON.stringify({
    token: 'legacy-verification-token',
    team_id: o.slack.teamId,
    api_app_id: o.slack.appId,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: 'app_mention',
      user: o.user,
      text: o.text,
      ts: o.ts,
      event_ts: o.ts,
      channel: o.channel,
      team: o.slack.teamId,
    },
    authorizations: [{ team_id: o.slack.teamId, user_id: o.slack.botUserId, is_bot: true }],
  });
  return { body, eventId };
};

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the built bot to its exit with exactly `env` (plus PATH and HOME), for start-up failures.
 * `startBot` is for bots that come up; it rewrites PORT, which a config test must pass as given.
 * Killed after `timeoutMs`, and at the end of the test in any case.
 */
export const runBotToExit = (o: { env: Record<string, string>; cwd: string; timeoutMs?: number }) => {
  assertBuilt();
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [BOT_ENTRY], {
    cwd: o.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  onTestFinished(kill);
  const timer = setTimeout(kill, o.timeoutMs ?? 15_000);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise<RunResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
};

/** The value of the first button with `actionId` anywhere in a view. */
export const buttonValue = (view: unknown, actionId: string): string | undefined => {
  if (Array.isArray(view)) return view.map((v) => buttonValue(v, actionId)).find(Boolean);
  if (typeof view !== 'object' || view === null) return undefined;
  const o = view as Record<string, unknown>;
  if (o.action_id === actionId && typeof o.value === 'string') return o.value;
  return Object.values(o)
    .map((v) => buttonValue(v, actionId))
    .find(Boolean);
};
