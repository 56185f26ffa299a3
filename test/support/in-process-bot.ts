import { randomUUID } from 'node:crypto';
import nock from 'nock';
import pino from 'pino';
import { type Backchannel, startBackchannel } from '../../src/main.js';
import { signSlackBody } from '../../standins/driver/signing.js';

export const SIGNING_SECRET = 'test-signing-secret';
export const BOT_TOKEN = 'xoxb-test-token';
export const SLACK_BASE = 'http://slack.test';
export const BOT_USER = 'U0BOT';
export const TEAM = 'T0TEAM';

/** Captures the bot's log lines (JSON) so tests can assert on them. */
export const captureLogs = () => {
  const lines: string[] = [];
  const stream = { write: (line: string) => lines.push(line) };
  return {
    lines,
    logger: pino({ level: 'debug', redact: { paths: ['text', '*.text'], censor: '[redacted]' } }, stream),
  };
};

/**
 * Starts the real bot in this process (real Bolt, real Redis, real BullMQ) with Slack's Web API
 * behind nock. Every bot gets its own key prefix on the shared throwaway Redis.
 */
export const startTestBot = async (opts: {
  redisUrl: string;
  env?: Record<string, string>;
  role?: 'all' | 'web' | 'worker';
}) => {
  nock(SLACK_BASE)
    .post('/api/auth.test')
    .reply(200, { ok: true, user_id: BOT_USER, bot_id: 'B0BOT', team_id: TEAM, user: 'backchannel' });
  const prefix = `{t${randomUUID().slice(0, 8)}}`;
  const logs = captureLogs();
  const bot: Backchannel = await startBackchannel({
    env: {
      NODE_ENV: 'test',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: `${SLACK_BASE}/api/`,
      OPENAI_API_KEY: 'sk-test-secret',
      OPENAI_BASE_URL: 'http://llm.test/v1',
      REDIS_URL: opts.redisUrl,
      REDIS_PREFIX: prefix,
      PORT: '0',
      LOG_LEVEL: 'debug',
      // No Slack limits in these tests: the shared budget paces at 1000 × Slack's rates.
      SLACK_BUDGET_SCALE: '1000',
      ...opts.env,
    },
    role: opts.role ?? 'all',
    logger: logs.logger,
  });
  const base = `http://127.0.0.1:${bot.port}`;
  const post = async (body: string, contentType: string, headers: Record<string, string> = {}) => {
    const started = performance.now();
    const res = await fetch(`${base}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...signSlackBody(SIGNING_SECRET, body), ...headers },
      body,
    });
    return { status: res.status, text: await res.text(), ms: performance.now() - started };
  };
  let eventSeq = 0;
  return {
    bot,
    base,
    prefix,
    logs,
    post,
    /** Sends an event callback, signed like Slack does. */
    sendEvent: (
      event: Record<string, unknown>,
      o: { eventId?: string; headers?: Record<string, string> } = {},
    ) => {
      const body = JSON.stringify({
        token: 'legacy',
        team_id: TEAM,
        api_app_id: 'A0APP',
        type: 'event_callback',
        event_id: o.eventId ?? `Ev${Date.now()}${eventSeq++}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ team_id: TEAM, user_id: BOT_USER, is_bot: true }],
        event,
      });
      return post(body, 'application/json', o.headers);
    },
    /** Sends `/ask <text>` as Slack does. */
    sendCommand: (text: string, o: { user?: string; channel?: string; triggerId?: string } = {}) => {
      const body = new URLSearchParams({
        command: '/ask',
        text,
        user_id: o.user ?? 'U0ALICE',
        user_name: 'alice',
        channel_id: o.channel ?? 'C0GENERAL',
        team_id: TEAM,
        trigger_id: o.triggerId ?? `trig.${randomUUID()}`,
        response_url: `${SLACK_BASE}/commands/response/${randomUUID()}`,
      }).toString();
      return post(body, 'application/x-www-form-urlencoded');
    },
    stop: () => bot.stop(),
  };
};

export type TestBot = Awaited<ReturnType<typeof startTestBot>>;
