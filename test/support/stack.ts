import { randomUUID } from 'node:crypto';
import { afterEach, inject } from 'vitest';
import './provided.js';
import { type Backchannel, startBackchannel } from '../../src/main.js';
import { createDriver, type SlackDriver } from '../../standins/driver/index.js';
import { type OpenAIStandin, startOpenAI } from '../../standins/llm/index.js';
import {
  botReplies as repliesIn,
  type SlackApiStandin,
  settled,
  shown,
  startSlackApi,
} from '../../standins/slack/index.js';
import { captureLogs } from './in-process-bot.js';

export const STACK_SECRET = 'stack-signing-secret';

export interface Stack {
  slack: SlackApiStandin;
  llm: OpenAIStandin;
  bot: Backchannel;
  /** More bot instances on the same Redis and prefix (e.g. extra workers). */
  more: Backchannel[];
  driver: SlackDriver;
  prefix: string;
  env: Record<string, string>;
  logs: string[];
  stop(): Promise<void>;
}

/**
 * The real bot in this process (real Bolt, Redis, BullMQ, LLM client and Slack client) against the
 * Slack and OpenAI stand-ins over loopback HTTP. Each stack has its own key prefix on the test Redis.
 */
export interface StackOptions {
  redisUrl: string;
  env?: Record<string, string>;
  role?: 'all' | 'web';
  slack?: Parameters<typeof startSlackApi>[0];
  llm?: Parameters<typeof startOpenAI>[0];
}

export const startStack = async (opts: StackOptions): Promise<Stack> => {
  const slack = await startSlackApi(opts.slack);
  const llm = await startOpenAI({ ttftMs: 0, tokensPerSecond: 2000, words: 12, ...opts.llm });
  const prefix = `{s${randomUUID().slice(0, 8)}}`;
  const logs = captureLogs();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    SLACK_BOT_TOKEN: 'xoxb-stack-token',
    SLACK_SIGNING_SECRET: STACK_SECRET,
    SLACK_API_URL: slack.apiUrl,
    OPENAI_API_KEY: 'sk-stack-secret',
    OPENAI_BASE_URL: llm.baseUrl,
    OPENAI_MODEL: 'test-model',
    REDIS_URL: opts.redisUrl,
    REDIS_PREFIX: prefix,
    PORT: '0',
    LOG_LEVEL: 'debug',
    LLM_TIMEOUT_MS: '10000',
    // The stand-in enforces no limits unless a test turns them on: the shared Slack budget paces
    // at 1000 × Slack's rates, so only a test about the budget waits for it (it sets its own scale).
    SLACK_BUDGET_SCALE: '1000',
    ...opts.env,
  };
  const bot = await startBackchannel({ env, role: opts.role ?? 'all', logger: logs.logger });
  const driver = createDriver({ url: `http://127.0.0.1:${bot.port}`, signingSecret: STACK_SECRET, slack });
  const more: Backchannel[] = [];
  return {
    slack,
    llm,
    bot,
    more,
    driver,
    prefix,
    env,
    logs: logs.lines,
    async stop() {
      await Promise.all([bot.stop(), ...more.map((b) => b.stop())]);
      await Promise.all([slack.close(), llm.close()]);
    },
  };
};

/** Adds another bot process-alike (same Redis, same prefix) to the stack, e.g. a second worker. */
export const addInstance = async (
  stack: Stack,
  role: 'web' | 'worker' | 'all',
  env: Record<string, string> = {},
) => {
  const logs = captureLogs();
  const b = await startBackchannel({ env: { ...stack.env, ...env }, role, logger: logs.logger });
  stack.more.push(b);
  return b;
};

export { settled, shown };

/** The bot's messages in a thread, each `text` as the user reads it. */
export const botReplies = (s: Stack, channel: string, threadTs: string) =>
  repliesIn(s.slack, channel, threadTs).map(shown);
export const waitForReplies = (s: Stack, channel: string, threadTs: string, n = 1, ms = 8_000) =>
  s.slack.waitFor(
    () => {
      const replies = botReplies(s, channel, threadTs);
      return replies.length >= n && replies.every(settled) ? replies : undefined;
    },
    ms,
    `${n} bot replies in ${channel}/${threadTs}`,
  );

/**
 * For a test file: a `start(options)` that builds a stack on the run's Redis, stopped after each
 * test.
 */
export const useStack = () => {
  let current: Stack | undefined;
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return async (o: Partial<StackOptions> = {}): Promise<Stack> => {
    current = await startStack({ redisUrl: inject('redisUrl'), ...o });
    return current;
  };
};

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bot's final background answers in a thread (they carry the answer metadata). */
export const answerIn = (s: Stack, channel: string, threadTs: string) =>
  s.slack.messages(channel, threadTs).filter((m) => m.metadata?.event_type === 'backchannel_answer');

/** The bot's notes in a thread ("Queued…", cancellations, failures). */
export const notesIn = (s: Stack, channel: string, threadTs: string) =>
  botReplies(s, channel, threadTs).filter((m) => m.metadata?.event_type === 'backchannel_note');
