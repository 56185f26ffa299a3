import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createMetrics } from '../../src/core/metrics.js';
import { createSlackApp } from '../../src/edge/app.js';
import { parseSlackBody, screenSlackBody, screenSlackRequest } from '../../src/edge/envelope.js';
import { registerListeners } from '../../src/edge/listeners/index.js';
import { slackSignature } from '../../standins/driver/index.js';
import { hostileCase } from '../support/hostile.js';

const SECRET = 'envelope-secret';
const now = Date.now();
const signed = (body: string, contentType = 'application/json', at = Math.floor(now / 1000)) => ({
  signingSecret: SECRET,
  rawBody: Buffer.from(body),
  nowMs: now,
  headers: {
    'content-type': contentType,
    'x-slack-request-timestamp': String(at),
    'x-slack-signature': slackSignature(SECRET, at, body),
  },
});

const mention = {
  type: 'event_callback',
  team_id: 'T0TEAM',
  event_id: 'Ev1',
  authorizations: [{ team_id: 'T0TEAM', user_id: 'U0BOT', is_bot: true, enterprise_id: null }],
  event: { type: 'app_mention', user: 'U1', text: '<@U0BOT> hi', ts: '1.1', channel: 'C1' },
};

describe('screening a Slack request before Bolt', () => {
  it('checks the signature as Slack signs it: v0 HMAC, 5-minute window either way', () => {
    const body = JSON.stringify(mention);
    expect(screenSlackRequest(signed(body))).toEqual({ action: 'forward', kind: 'event' });
    const stale = signed(body, 'application/json', Math.floor(now / 1000) - 301);
    expect(screenSlackRequest(stale)).toMatchObject({ status: 401, reason: 'signature stale' });
    const future = signed(body, 'application/json', Math.floor(now / 1000) + 301);
    expect(screenSlackRequest(future)).toMatchObject({ status: 401 });
    const tampered = { ...signed(body), rawBody: Buffer.from(body.replace('hi', 'ho')) };
    expect(screenSlackRequest(tampered)).toMatchObject({ status: 401, reason: 'signature mismatch' });
    const short = signed(body);
    short.headers['x-slack-signature'] = 'v0=abc';
    expect(screenSlackRequest(short)).toMatchObject({ status: 401 });
    const unsigned = { ...signed(body), headers: { 'content-type': 'application/json' } };
    expect(screenSlackRequest(unsigned)).toMatchObject({ status: 401, reason: 'signature missing' });
  });

  it('answers ssl_check unsigned, and lets url_verification through to Bolt', () => {
    const ssl = {
      ...signed('ssl_check=1&token=x'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    };
    expect(screenSlackRequest(ssl)).toMatchObject({ action: 'answer', status: 200 });
    const verify = JSON.stringify({ type: 'url_verification', challenge: 'abc' });
    expect(screenSlackRequest(signed(verify))).toEqual({ action: 'forward', kind: 'url_verification' });
  });

  it.each([
    ['JSON null', 'null', 'application/json'],
    ['an array', '[]', 'application/json'],
    ['a number', '5', 'application/json'],
    ['payload=null', 'payload=null', 'application/x-www-form-urlencoded'],
    ['an event that is a string', JSON.stringify({ ...mention, event: 'x' }), 'application/json'],
    ['an event without a type', JSON.stringify({ ...mention, event: { user: 'U1' } }), 'application/json'],
    [
      'a null channel',
      JSON.stringify({ ...mention, event: { ...mention.event, channel: null } }),
      'application/json',
    ],
    ['authorizations of [null]', JSON.stringify({ ...mention, authorizations: [null] }), 'application/json'],
    ['authorizations as a string', JSON.stringify({ ...mention, authorizations: 'x' }), 'application/json'],
    [
      'block_actions without user',
      `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: [{ action_id: 'bc_x' }] }))}`,
      'application/x-www-form-urlencoded',
    ],
    [
      'block_actions with actions: []',
      `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, actions: [] }))}`,
      'application/x-www-form-urlencoded',
    ],
    ['an unknown type', JSON.stringify({ type: 'shortcut', callback_id: 'x' }), 'application/json'],
    ['unparsable JSON', '{"type":', 'application/json'],
  ])('refuses %s with a 400', (_what, body, contentType) => {
    expect(screenSlackRequest(signed(body, contentType))).toMatchObject({ action: 'answer', status: 400 });
  });

  it('answers a slash command it cannot read with the private "could not read" reply', () => {
    const form = new URLSearchParams({
      command: '/ask',
      text: 'hi',
      user_id: `U${'A'.repeat(9_999)}`,
      channel_id: 'C1',
      team_id: 'T0TEAM',
      trigger_id: '1.2.abc',
      response_url: 'https://hooks.slack.com/commands/T0TEAM/1/x',
    }).toString();
    expect(screenSlackRequest(signed(form, 'application/x-www-form-urlencoded'))).toMatchObject({
      action: 'answer',
      status: 200,
      json: { response_type: 'ephemeral', text: expect.stringMatching(/could not read that command/) },
    });
  });

  it('acknowledges app_rate_limited and forwards the payloads the bot handles', () => {
    expect(
      screenSlackBody({ type: 'app_rate_limited', team_id: 'T1', minute_rate_limited: 1 }),
    ).toMatchObject({
      status: 200,
    });
    expect(screenSlackBody(mention)).toEqual({ action: 'forward', kind: 'event' });
    // Slack's stop button, as Slack's event page shows it (team on the envelope).
    const stop = {
      ...mention,
      event: {
        type: 'agent_session_stopped',
        channel: 'C0123ABC456',
        event_ts: '1783536983.783769',
        streaming_message_ts: ['1782234987.693923'],
        thread_ts: '1782234671.392669',
        user: 'U123ABC456',
      },
    };
    expect(screenSlackBody(stop)).toEqual({ action: 'forward', kind: 'event' });
    expect(screenSlackBody({ ...stop, event: { ...stop.event, streaming_message_ts: [] } })).toEqual({
      action: 'forward',
      kind: 'event',
    });
    expect(
      screenSlackBody({
        type: 'block_actions',
        user: { id: 'U1', team_id: 'T0TEAM' },
        team: { id: 'T0TEAM' },
        enterprise: null,
        container: { type: 'message', message_ts: '1.2', channel_id: 'C1' },
        channel: { id: 'C1', name: 'general' },
        trigger_id: '1.2.abc',
        response_url: 'https://hooks.slack.com/actions/T0TEAM/1/x',
        actions: [{ action_id: 'bc_open', value: 'v', type: 'button', action_ts: '1.3' }],
      }),
    ).toEqual({ action: 'forward', kind: 'action' });
    expect(
      screenSlackBody({
        type: 'view_submission',
        user: { id: 'U1' },
        team: { id: 'T0TEAM' },
        view: { id: 'V1', callback_id: 'bc_modal', app_installed_team_id: 'T0TEAM' },
        response_urls: [],
      }),
    ).toEqual({ action: 'forward', kind: 'view' });
    // The Agent messaging experience's events: the context a user views, the Messages tab, a stop.
    const agentEvent = (event: Record<string, unknown>) => ({ ...mention, event });
    const context = { entities: [{ type: 'slack#/types/channel_id', value: 'C1', team_id: 'T0TEAM' }] };
    for (const event of [
      { type: 'app_context_changed', user: 'U1', channel: 'D1', context, event_ts: '1.4' },
      { type: 'app_context_changed', context: {}, event_ts: '1.4' },
      { type: 'app_home_opened', user: 'U1', channel: 'D1', tab: 'messages', context, event_ts: '1.4' },
      {
        type: 'agent_session_stopped',
        user: 'U1',
        channel: 'C1',
        thread_ts: '1.1',
        streaming_message_ts: ['1.2'],
        event_ts: '1.4',
      },
    ])
      expect(screenSlackBody(agentEvent(event))).toEqual({ action: 'forward', kind: 'event' });
  });

  it('forwards a click on an answer’s feedback buttons and a submitted feedback modal, as Slack sends them', () => {
    expect(
      screenSlackBody({
        type: 'block_actions',
        user: { id: 'U1', team_id: 'T0TEAM' },
        team: { id: 'T0TEAM' },
        enterprise: null,
        container: {
          type: 'message',
          message_ts: '1.2',
          channel_id: 'C1',
          is_ephemeral: false,
          thread_ts: '1.1',
        },
        channel: { id: 'C1', name: 'general' },
        message: { type: 'message', ts: '1.2', text: 'an answer', blocks: [] },
        trigger_id: '1.2.abc',
        response_url: 'https://hooks.slack.com/actions/T0TEAM/1/x',
        actions: [
          {
            type: 'feedback_buttons',
            action_id: 'feedback_vote',
            block_id: 'abc',
            value: 'positive',
            text: { type: 'plain_text', text: '👍' },
            action_ts: '1.3',
          },
        ],
      }),
    ).toEqual({ action: 'forward', kind: 'action' });
    expect(
      screenSlackBody({
        type: 'view_submission',
        user: { id: 'U1', team_id: 'T0TEAM' },
        team: { id: 'T0TEAM' },
        trigger_id: '1.2.abd',
        view: {
          id: 'V2',
          callback_id: 'feedback_comment',
          private_metadata: 'T0TEAM:C1:1.1',
          state: { values: { feedback_comment: { comment: { type: 'plain_text_input', value: 'more' } } } },
        },
        response_urls: [],
      }),
    ).toEqual({ action: 'forward', kind: 'view' });
  });
});

describe('Bolt behind the screen', () => {
  // The real Bolt app with the bot's listeners, their Redis work stubbed out.
  const build = () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: SECRET, NODE_ENV: 'test' });
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    const slack = createSlackApp({
      config,
      identity: { botUserId: 'U0BOT', botId: 'B0BOT', teamId: 'T0TEAM' },
      logger,
    });
    const metrics = createMetrics();
    const intake = { accept: async () => 'accepted' as const, acceptWork: async () => 'accepted' as const };
    registerListeners(slack.app, {
      intake,
      followed: { isFollowed: async () => true },
      identity: { botUserId: 'U0BOT', botId: 'B0BOT' },
      threadLocks: { order: () => ({ key: 'k', score: 0, member: '0', ttlSeconds: 1, enter: () => {} }) },
      logger,
      metrics,
      // The message shortcuts too: their modal and private replies go nowhere here.
      shortcuts: { openModal: async () => ({}), respond: async () => {} },
    });
    return { app: slack.app, lines };
  };

  it('never throws on a body the screen forwards (2,000 hostile bodies, seeded)', async () => {
    const { app, lines } = build();
    const runs = Number(process.env.FUZZ_RUNS ?? 2_000);
    let forwarded = 0;
    let refusedThatBoltChokesOn = 0;
    await fc.assert(
      fc.asyncProperty(hostileCase, async (c) => {
        const parsed = parseSlackBody(c.contentType, Buffer.from(c.body));
        if (!parsed.ok) return;
        const process = () =>
          app.processEvent({ body: parsed.body as never, ack: async () => {}, retryNum: undefined });
        if (screenSlackBody(parsed.body).action === 'forward') {
          forwarded++;
          const before = lines.length;
          await process();
          // Not even a listener choked on it (app.error would have logged that).
          expect(lines.slice(before).filter((l) => l.includes('slack listener error'))).toEqual([]);
        } else
          await process().then(
            () => {},
            () => refusedThatBoltChokesOn++,
          );
      }),
      { seed: Number(process.env.FUZZ_SEED ?? 20_251_212), numRuns: runs },
    );
    console.info(
      `envelope property: ${runs} bodies, ${forwarded} forwarded without a Bolt error; ` +
        `${refusedThatBoltChokesOn} of the refused ones would have made Bolt throw`,
    );
    expect(forwarded).toBeGreaterThan(50);
    expect(refusedThatBoltChokesOn).toBeGreaterThan(50);
  }, 30_000);
});
