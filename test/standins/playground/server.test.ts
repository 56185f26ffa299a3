import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createDriver } from '../../../standins/driver/index.js';
import { closeServer, listenOnLoopback } from '../../../standins/http.js';
import { type Playground, startPlayground } from '../../../standins/playground/server.js';
import { type SlackApiStandin, startSlackApi } from '../../../standins/slack/index.js';

/** The playground server on the Slack stand-in, with a bot that only acks (what it was sent is recorded). */
const opened: { slack: SlackApiStandin; page: Playground; bot: http.Server }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await Promise.all([o.page.close(), o.slack.close(), closeServer(o.bot)]);
});

const start = async () => {
  const received: string[] = [];
  const bot = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push(body);
      res.writeHead(200).end();
    });
  });
  const port = await listenOnLoopback(bot);
  const slack = await startSlackApi({ teamId: 'T0PLAY', users: { U0ALICE: { name: 'alice' } } });
  slack.setChannel('C0GENERAL', { name: 'general' });
  const page = await startPlayground({
    slack,
    llm: undefined,
    driver: createDriver({ url: `http://127.0.0.1:${port}`, signingSecret: 's', slack }),
    users: [
      { id: 'U0ALICE', name: 'Alice' },
      { id: 'U0ADMIN', name: 'Admin', admin: true },
    ],
    channels: [{ id: 'C0GENERAL', name: 'general' }],
    shortcuts: [{ callbackId: 'bc_summarize', name: 'Summarize thread' }],
    port: 0,
    llmSettings: {},
  });
  opened.push({ slack, page, bot });
  return { slack, page, received };
};

const post = (url: string, form: Record<string, string>) =>
  fetch(url, { method: 'POST', body: new URLSearchParams(form) });

describe('the playground server', () => {
  it('serves the page with the user picker, the channels, the DM, Home and the knobs', async () => {
    const { page } = await start();
    const html = await (await fetch(page.url)).text();
    expect(html).toContain('data-testid="user-picker"');
    expect(html).toContain('<option value="U0ADMIN">Admin (admin)</option>');
    expect(html).toContain('data-testid="nav-channel" data-channel="C0GENERAL"');
    expect(html).toContain('data-testid="nav-dm"');
    expect(html).toContain('data-testid="nav-home"');
    for (const knob of ['llm-speed', 'llm-fault', 'slack-limits', 'slack-fault-method'])
      expect(html).toContain(`data-testid="knob-${knob}"`);
    expect(await (await fetch(`${page.url}assets/htmx.min.js`)).text()).toContain('htmx');
  });

  it('sends a typed mention to the bot as a signed app_mention and shows the message in the channel', async () => {
    const { page, slack, received } = await start();
    const res = await post(`${page.url}act/send`, {
      user: 'U0ALICE',
      view: 'C0GENERAL',
      text: '@Backchannel hi',
    });
    expect(res.status).toBe(204);
    expect(slack.messages('C0GENERAL').map((m) => m.text)).toEqual(['<@U0BOT> hi']);
    expect(received.some((b) => b.includes('"type":"app_mention"'))).toBe(true);
    const pane = await (await fetch(`${page.url}pane/channel?user=U0ALICE&view=C0GENERAL`)).text();
    expect(pane).toContain('data-testid="message"');
    expect(pane).toContain('data-user="U0ALICE"');
    expect(pane).toContain('data-testid="shortcut" data-callback-id="bc_summarize"');
  });

  it('runs /ask as the slash command', async () => {
    const { page, received } = await start();
    await post(`${page.url}act/send`, { user: 'U0ALICE', view: 'C0GENERAL', text: '/ask what is new' });
    expect(received.some((b) => b.includes('command=%2Fask') && b.includes('text=what+is+new'))).toBe(true);
  });

  it('lets a modal be filled in and submitted as the view_submission Slack would send', async () => {
    const { page, slack, received } = await start();
    const label = (text: string) => ({ type: 'plain_text', text });
    const opened = await fetch(`${slack.apiUrl}views.open`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-1', 'content-type': 'application/json' },
      body: JSON.stringify({
        trigger_id: '1.2.abc',
        view: {
          type: 'modal',
          callback_id: 'bc_test_modal',
          title: label('Ask about this'),
          submit: label('Ask'),
          blocks: [
            {
              type: 'input',
              block_id: 'q',
              label: label('Question'),
              element: { type: 'plain_text_input', action_id: 'question', multiline: true },
            },
            {
              type: 'input',
              block_id: 'r',
              label: label('Respond'),
              element: {
                type: 'static_select',
                action_id: 'respond',
                options: [{ text: label('Only when mentioned'), value: 'mention' }],
              },
            },
          ],
        },
      }),
    });
    const viewId = ((await opened.json()) as { view: { id: string } }).view.id;
    const pane = await (await fetch(`${page.url}pane/modal`)).text();
    expect(pane).toContain('data-testid="modal-submit"');
    expect(pane).toContain('name="bk:q:question"');
    expect(pane).toContain('<option value="mention">Only when mentioned</option>');

    const res = await post(`${page.url}act/submit-modal`, {
      user: 'U0ALICE',
      view: 'C0GENERAL',
      viewId,
      'bk:q:question': 'what changed?',
      'bk:r:respond': 'mention',
    });
    expect(res.status).toBe(204);
    const submitted = received
      .map((b) => new URLSearchParams(b).get('payload'))
      .find((p) => p?.includes('view_submission'));
    const state = (JSON.parse(submitted ?? '{}') as { view?: { state?: { values?: unknown } } }).view?.state;
    expect(state?.values).toEqual({
      q: { question: { type: 'plain_text_input', value: 'what changed?' } },
      r: {
        respond: expect.objectContaining({ selected_option: expect.objectContaining({ value: 'mention' }) }),
      },
    });
    // Submitted, it closes.
    expect(await (await fetch(`${page.url}pane/modal`)).text()).toBe('');
  });

  it('makes the chosen Slack method fail, and lists the call with its error', async () => {
    const { page, slack } = await start();
    await post(`${page.url}act/knob`, { name: 'slack-fault-method', value: 'chat.postMessage' });
    const call = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-1', 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'C0GENERAL', text: 'x' }),
    });
    expect(call.status).toBe(500);
    const calls = await (await fetch(`${page.url}pane/calls`)).text();
    expect(calls).toContain('data-testid="slack-call" data-method="chat.postMessage" data-ok="false"');
    await post(`${page.url}act/knob`, { name: 'slack-fault-method', value: '' });
    const again = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-1', 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'C0GENERAL', text: 'x' }),
    });
    expect(((await again.json()) as { ok: boolean }).ok).toBe(true);
  });
});
