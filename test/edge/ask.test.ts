import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import type { AcceptedRequest } from '../../src/core/domain.js';
import { createMetrics } from '../../src/core/metrics.js';
import { USAGE } from '../../src/core/usage.js';
import { createSlackApp } from '../../src/edge/app.js';
import { registerAskCommand } from '../../src/edge/listeners/commands/ask.js';

/** Bolt with the `/ask` listener; what the listener hands to intake is recorded. */
const build = () => {
  const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', NODE_ENV: 'test' });
  const logger = pino({ level: 'silent' });
  const slack = createSlackApp({
    config,
    identity: { botUserId: 'U0BOT', botId: 'B0BOT', teamId: 'T1' },
    logger,
  });
  const accepted: AcceptedRequest[] = [];
  const intake = {
    accept: vi.fn(async (request: AcceptedRequest) => {
      accepted.push(request);
      return 'accepted' as const;
    }),
  };
  registerAskCommand(slack.app, { intake, logger, metrics: createMetrics() });
  const send = async (text: string) => {
    const acks: unknown[] = [];
    await slack.app.processEvent({
      body: {
        command: '/ask',
        text,
        user_id: 'U1',
        channel_id: 'C1',
        team_id: 'T1',
        trigger_id: '1.2.abc',
        response_url: 'https://hooks.slack.com/commands/T1/1/x',
      },
      // Like Bolt's receivers: a second ack throws (the app's catch-all acks what no listener did).
      ack: async (response?: unknown) => {
        if (acks.length) throw new Error('already acknowledged');
        acks.push(response);
      },
      retryNum: undefined,
    });
    return acks;
  };
  return { accepted, send };
};

describe('/ask at the edge', () => {
  it('parses the command once and carries what it asks for on the request', async () => {
    const { accepted, send } = build();
    await send('  Sessions ');
    await send('cancel');
    await send('later summarise the roadmap');
    expect(accepted.map((r) => r.command)).toEqual([
      { action: 'sessions' },
      { action: 'cancel' },
      { action: 'ask', question: 'later summarise the roadmap' },
    ]);
  });

  it('answers help in the ack itself, writing nothing', async () => {
    const { accepted, send } = build();
    for (const text of ['', 'help', 'later']) {
      const acks = await send(text);
      expect(acks).toEqual([{ response_type: 'ephemeral', text: USAGE }]);
    }
    expect(accepted).toEqual([]);
  });
});
