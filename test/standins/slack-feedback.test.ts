import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDriver } from '../../standins/driver/index.js';
import { feedbackButtonsOf, type SlackApiStandin, startSlackApi } from '../../standins/slack/index.js';

/** The Slack stand-in's feedback buttons: Slack's limits on them, and a driver that clicks them. */

let slack: SlackApiStandin;
let client: WebClient;

beforeAll(async () => {
  slack = await startSlackApi();
  // The WebClient logs every refusal; the tests assert on them instead.
  const quiet = () => {};
  client = new WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    logger: {
      debug: quiet,
      info: quiet,
      warn: quiet,
      error: quiet,
      setLevel: quiet,
      getLevel: () => LogLevel.ERROR,
      setName: quiet,
    },
  });
});
afterAll(() => slack.close());
beforeEach(() => slack.reset());

const button = (text: string, value: string) => ({ text: { type: 'plain_text', text }, value });
const feedback = (over: Record<string, unknown> = {}) => ({
  type: 'feedback_buttons',
  action_id: 'feedback_1',
  positive_button: button('👍', 'good'),
  negative_button: button('👎', 'bad'),
  ...over,
});
const contextActions = (...elements: unknown[]) => ({ type: 'context_actions', elements });

/** The Slack error and its messages a postMessage with `blocks` gets, or 'ok'. */
const postBlocks = async (blocks: unknown[]): Promise<{ error: string; messages: string[] }> => {
  try {
    await client.chat.postMessage({ channel: 'C1', text: 'fallback', blocks: blocks as never });
    return { error: 'ok', messages: [] };
  } catch (err) {
    const data = (err as { data?: { error?: string; errors?: string[] } }).data;
    return { error: data?.error ?? String(err), messages: data?.errors ?? [] };
  }
};

describe('context_actions and feedback_buttons in the Slack stand-in', () => {
  it('accepts Slack’s own example, and stores the blocks with the message', async () => {
    expect(await postBlocks([contextActions(feedback())])).toEqual({ error: 'ok', messages: [] });
    const [stored] = slack.messages('C1');
    expect(feedbackButtonsOf(stored!)?.element).toMatchObject({ action_id: 'feedback_1' });
  });

  it('refuses what Slack refuses, with invalid_blocks and a json-pointer to the field', async () => {
    const cases: [unknown, RegExp][] = [
      [contextActions(), /at least 1 item \[json-pointer:\/blocks\/0\/elements\]/],
      [
        contextActions(...Array.from({ length: 6 }, (_, i) => feedback({ action_id: `f${i}` }))),
        /no more than 5 items/,
      ],
      [contextActions(feedback({ negative_button: undefined })), /missing required field: negative_button/],
      [
        contextActions(feedback({ positive_button: button('x'.repeat(76), 'v') })),
        /less than 76 characters \[json-pointer:\/blocks\/0\/elements\/0\/positive_button\/text\/text\]/,
      ],
      [
        contextActions(feedback({ positive_button: button('👍', 'v'.repeat(2001)) })),
        /less than 2001 characters .*positive_button\/value/,
      ],
      [
        contextActions(feedback({ negative_button: { text: { type: 'mrkdwn', text: '*no*' }, value: 'v' } })),
        /must be plain_text/,
      ],
      [
        contextActions(feedback({ negative_button: { text: { type: 'plain_text', text: '👎' } } })),
        /missing required field: value/,
      ],
      [
        contextActions({ type: 'button', text: { type: 'plain_text', text: 'x' } }),
        /must be one of feedback_buttons, icon_button/,
      ],
      [contextActions(feedback(), feedback()), /action_id must be unique/],
    ];
    for (const [block, message] of cases) {
      const res = await postBlocks([block]);
      expect(res.error).toBe('invalid_blocks');
      expect(res.messages.join('\n')).toMatch(message);
    }
    expect(slack.messages('C1')).toEqual([]);
  });

  it('closes a stream with blocks, and refuses invalid ones there too', async () => {
    const started = await client.chat.startStream({
      channel: 'C1',
      thread_ts: '1.1',
      markdown_text: 'Hello',
      recipient_user_id: 'U1',
      recipient_team_id: slack.teamId,
    });
    const ts = String(started.ts);
    await expect(
      client.chat.stopStream({ channel: 'C1', ts, blocks: [contextActions() as never] }),
    ).rejects.toMatchObject({ data: { error: 'invalid_blocks' } });
    await client.chat.stopStream({ channel: 'C1', ts, blocks: [contextActions(feedback()) as never] });
    const message = slack.message('C1', ts);
    expect(message?.stream).toBe('stopped');
    expect(feedbackButtonsOf(message!)).toBeDefined();
  });
});

describe('the driver clicking feedback buttons', () => {
  it('sends Slack’s block_actions for the stored message: the button’s value, its action and block ids', async () => {
    let received = '';
    const { createServer } = await import('node:http');
    const bot = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        received = body;
        res.end();
      });
    });
    await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
    const port = (bot.address() as { port: number }).port;
    try {
      const driver = createDriver({ url: `http://127.0.0.1:${port}`, signingSecret: 's', slack });
      const root = slack.addMessage({ channel: 'C1', user: 'U1', text: 'question' });
      const posted = await client.chat.postMessage({
        channel: 'C1',
        thread_ts: root.ts,
        text: 'answer',
        blocks: [{ type: 'context_actions', block_id: 'fb', elements: [feedback()] }] as never,
      });
      await driver.feedback({ user: 'U2', channel: 'C1', messageTs: String(posted.ts), vote: 'negative' });
      const payload = JSON.parse(new URLSearchParams(received).get('payload') ?? '{}');
      expect(payload).toMatchObject({
        type: 'block_actions',
        user: { id: 'U2' },
        container: { type: 'message', message_ts: posted.ts, channel_id: 'C1', thread_ts: root.ts },
        channel: { id: 'C1' },
        actions: [
          {
            type: 'feedback_buttons',
            action_id: 'feedback_1',
            block_id: 'fb',
            value: 'bad',
            text: { text: '👎' },
          },
        ],
      });
      expect(payload.trigger_id).toBeTruthy();
      // A message without buttons cannot be clicked, unless a test forges it.
      await expect(
        driver.feedback({ user: 'U2', channel: 'C1', messageTs: root.ts, vote: 'positive' }),
      ).rejects.toThrow(/no feedback buttons/);
    } finally {
      bot.close();
    }
  });
});
