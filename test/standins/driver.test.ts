import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, isValidSlackRequest, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDriver, type SlackDriver, slackSignature } from '../../standins/driver/index.js';
import { type SlackApiStandin, startSlackApi } from '../../standins/slack/index.js';

const SECRET = 'test-signing-secret';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  valid: boolean;
}

/**
 * A receiver that checks each request the way Bolt does: our own HMAC computation and Bolt's
 * exported `isValidSlackRequest` must agree. It answers 200 when valid, 401 otherwise.
 */
const startReceiver = async (limitBytes = 1024 * 1024) => {
  const received: Received[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      chunks.push(c as Buffer);
    }
    if (size > limitBytes) {
      res.writeHead(413).end();
      return;
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const signature = String(req.headers['x-slack-signature'] ?? '');
    const timestamp = Number(req.headers['x-slack-request-timestamp']);
    const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const ours =
      signature.length === expected.length &&
      timingSafeEqual(Buffer.from(signature), Buffer.from(expected)) &&
      Math.abs(Date.now() / 1000 - timestamp) < 300;
    const bolts = isValidSlackRequest({
      signingSecret: SECRET,
      body,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
    });
    expect(ours).toBe(bolts);
    received.push({ headers: req.headers, body, valid: bolts });
    res.writeHead(bolts ? 200 : 401).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
};

let slack: SlackApiStandin;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let driver: SlackDriver;

beforeAll(async () => {
  slack = await startSlackApi();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await slack.close();
});
beforeEach(() => {
  slack.reset();
  receiver.received.length = 0;
  driver = createDriver({ url: receiver.url, signingSecret: SECRET, slack });
});

const envelope = (i: number) =>
  JSON.parse(receiver.received[i]!.body) as Record<string, unknown> & {
    event: Record<string, unknown>;
  };

describe('signed events', () => {
  it('computes the v0 signature Slack documents', () => {
    // v0=HMAC-SHA256("v0:{ts}:{body}") in hex
    expect(slackSignature('secret', 1531420618, 'body')).toBe(
      `v0=${createHmac('sha256', 'secret').update('v0:1531420618:body').digest('hex')}`,
    );
  });

  it('sends a mention and its message twin: same ts, own event ids, both seeded in the store', async () => {
    const sent = await driver.mention({ channel: 'C1', user: 'U1', text: 'what is up?' });
    expect(sent.acks.map((a) => a.status)).toEqual([200, 200]);
    expect(new Set(sent.eventIds).size).toBe(2);
    const bodies = [0, 1].map(envelope);
    const mention = bodies.find((b) => b.event.type === 'app_mention')!;
    const twin = bodies.find((b) => b.event.type === 'message')!;
    expect(mention).toMatchObject({
      type: 'event_callback',
      team_id: 'T0TEAM',
      api_app_id: 'A0APP',
      authorizations: [{ team_id: 'T0TEAM', user_id: 'U0BOT', is_bot: true }],
      event: { channel: 'C1', user: 'U1', text: '<@U0BOT> what is up?', ts: sent.ts },
    });
    expect(twin.event).toMatchObject({ channel_type: 'channel', ts: sent.ts, text: '<@U0BOT> what is up?' });
    expect(mention.event_id).not.toBe(twin.event_id);
    expect(receiver.received.every((r) => r.valid)).toBe(true);
    expect(slack.messages('C1')).toEqual([
      expect.objectContaining({ ts: sent.ts, user: 'U1', text: '<@U0BOT> what is up?' }),
    ]);
  });

  it('presses a session’s stop button as Slack does: its streams stopped first, then named in the event', async () => {
    const root = await driver.mention({ channel: 'C1', user: 'U1', text: 'q', twin: 'none' });
    const client = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl });
    const stream = await client.chat.startStream({
      channel: 'C1',
      thread_ts: root.ts,
      recipient_user_id: 'U1',
      recipient_team_id: 'T0TEAM',
      markdown_text: 'part',
    });
    const d = await driver.sessionStopped({ channel: 'C1', threadTs: root.ts, user: 'U1' });
    expect(d.ack.status).toBe(200);
    expect(slack.message('C1', stream.ts!)?.stream).toBe('stopped');
    expect(envelope(1)).toMatchObject({
      type: 'event_callback',
      team_id: 'T0TEAM',
      event: {
        type: 'agent_session_stopped',
        channel: 'C1',
        user: 'U1',
        thread_ts: root.ts,
        streaming_message_ts: [stream.ts],
        event_ts: expect.stringMatching(/^\d+\.\d+$/),
      },
    });
    await driver.sessionStopped({ channel: 'C1', threadTs: root.ts, user: 'U1' });
    expect(envelope(2).event.streaming_message_ts).toEqual([]);
  });

  it('sends thread replies and DMs', async () => {
    const root = await driver.mention({ channel: 'C1', user: 'U1', text: 'q', twin: 'none' });
    const reply = await driver.message({ channel: 'C1', user: 'U2', text: 'more', threadTs: root.ts });
    expect(envelope(1).event).toMatchObject({
      type: 'message',
      thread_ts: root.ts,
      ts: reply.ts,
      channel_type: 'channel',
    });
    expect(slack.messages('C1', root.ts).map((m) => m.text)).toEqual(['<@U0BOT> q', 'more']);

    const dm = await driver.dm({ user: 'U1', text: 'hi bot' });
    expect(envelope(2).event).toMatchObject({
      type: 'message',
      channel: 'D1',
      channel_type: 'im',
      ts: dm.ts,
    });
  });

  it('sends app_home_opened', async () => {
    await driver.homeOpened({ user: 'U1' });
    expect(envelope(0).event).toMatchObject({ type: 'app_home_opened', user: 'U1', tab: 'home' });
  });

  it('sends the Messages tab and app_context_changed with what the user views', async () => {
    await driver.homeOpened({ user: 'U1', tab: 'messages', viewing: { channel: 'C9', messageTs: '1.5' } });
    await driver.contextChanged({ user: 'U1', viewing: { channel: 'C8' } });
    await driver.contextChanged({ user: 'U1' });
    expect(envelope(0).event).toMatchObject({
      type: 'app_home_opened',
      tab: 'messages',
      channel: 'D1',
      context: {
        entities: [{ type: 'slack#/types/message_context', value: { channel_id: 'C9', message_ts: '1.5' } }],
      },
    });
    expect(envelope(1).event).toMatchObject({
      type: 'app_context_changed',
      user: 'U1',
      context: { entities: [{ type: 'slack#/types/channel_id', value: 'C8' }] },
    });
    expect(envelope(2).event).toMatchObject({ type: 'app_context_changed', context: {} });
  });

  it('redelivers with retry headers and the same body, freshly signed', async () => {
    const first = await driver.dm({ user: 'U1', text: 'hi' });
    const again = await driver.redeliver(first.delivery, { retryNum: 2, reason: 'http_timeout' });
    expect(again.ack).toMatchObject({ status: 200, retryNum: 2, eventId: first.eventId });
    const [a, b] = receiver.received;
    expect(b?.body).toBe(a?.body);
    expect(b?.headers).toMatchObject({ 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' });
    expect(a?.headers['x-slack-retry-num']).toBeUndefined();
  });

  it('records every ack with its latency', async () => {
    await driver.dm({ user: 'U1', text: 'hi' });
    expect(driver.acks).toEqual([
      expect.objectContaining({
        kind: 'event',
        label: 'message',
        status: 200,
        late: false,
        latencyMs: expect.any(Number),
      }),
    ]);
  });
});

describe('commands and actions', () => {
  it('sends a form-encoded slash command whose response_url reaches the Slack stand-in', async () => {
    const sent = await driver.command({ text: 'summarise', user: 'U1', channel: 'C1' });
    const form = new URLSearchParams(receiver.received[0]!.body);
    expect(receiver.received[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(form)).toMatchObject({
      command: '/ask',
      text: 'summarise',
      user_id: 'U1',
      channel_id: 'C1',
      team_id: 'T0TEAM',
      response_url: sent.responseUrl,
      trigger_id: sent.triggerId,
    });
    await fetch(sent.responseUrl, { method: 'POST', body: JSON.stringify({ text: 'working on it' }) });
    expect(slack.responses(sent.responseId)[0]?.body).toEqual({ text: 'working on it' });
  });

  it('sends block_actions as a payload field, with the stored message', async () => {
    const posted = slack.addMessage({ channel: 'C1', user: 'U0BOT', bot_id: 'B0BOT', text: 'answer' });
    await driver.blockAction({
      user: 'U1',
      actionId: 'cancel',
      value: 'req-1',
      channel: 'C1',
      messageTs: posted.ts,
    });
    const payload = JSON.parse(new URLSearchParams(receiver.received[0]!.body).get('payload')!) as Record<
      string,
      unknown
    >;
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U1' },
      container: { type: 'message', channel_id: 'C1', message_ts: posted.ts },
      message: { text: 'answer', ts: posted.ts },
      actions: [{ action_id: 'cancel', value: 'req-1', type: 'button' }],
    });
  });
});

describe('bad requests', () => {
  it('sends unsigned, stale, wrongly signed, malformed and oversized requests', async () => {
    expect((await driver.unsigned()).status).toBe(401);
    expect((await driver.stale()).status).toBe(401);
    expect((await driver.badSignature()).status).toBe(401);
    expect((await driver.malformed()).status).toBe(200); // signed correctly: only parsing can fail
    const small = await startReceiver(64 * 1024);
    try {
      const d = createDriver({ url: small.url, signingSecret: SECRET });
      expect((await d.oversized(128 * 1024)).status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('records a timeout as status 0', async () => {
    const silent = http.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const d = createDriver({
        url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        signingSecret: SECRET,
        timeoutMs: 100,
      });
      const { ack } = await d.dm({ user: 'U1', text: 'anyone?' });
      expect(ack).toMatchObject({ status: 0, error: 'timeout' });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe('against real Bolt', () => {
  it('drives a Bolt app whose client talks to the Slack stand-in', async () => {
    const app = new App({
      token: 'xoxb-test',
      signingSecret: SECRET,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    });
    app.event('app_mention', async ({ event, say }) => {
      await say({ text: `heard: ${event.text}`, thread_ts: event.ts });
    });
    app.command('/ask', async ({ ack, respond, command }) => {
      await ack();
      await respond({ text: `asked: ${command.text}` });
    });
    app.action('cancel', async ({ ack }) => {
      await ack();
    });
    const server = (await app.start(0)) as http.Server;
    try {
      const bolt = createDriver({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        signingSecret: SECRET,
        slack,
      });
      const sent = await bolt.mention({ channel: 'C1', user: 'U1', text: 'hello', twin: 'none' });
      expect(sent.acks[0]?.status).toBe(200);
      const reply = await slack.waitForCall('chat.postMessage');
      expect(reply.params).toMatchObject({
        channel: 'C1',
        thread_ts: sent.ts,
        text: 'heard: <@U0BOT> hello',
      });
      expect(slack.messages('C1', sent.ts).map((m) => m.user)).toEqual(['U1', 'U0BOT']);

      const cmd = await bolt.command({ text: 'why?', user: 'U1', channel: 'C1' });
      expect(cmd.ack.status).toBe(200);
      await slack.waitFor(() => slack.responses(cmd.responseId)[0], 5000, 'the command response');
      expect(slack.responses(cmd.responseId)[0]?.body).toMatchObject({ text: 'asked: why?' });

      const click = await bolt.blockAction({
        user: 'U1',
        actionId: 'cancel',
        channel: 'C1',
        messageTs: sent.ts,
      });
      expect(click.ack.status).toBe(200);

      expect((await bolt.badSignature()).status).toBe(401);
    } finally {
      await app.stop();
    }
  });
});
