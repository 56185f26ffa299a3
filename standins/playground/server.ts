import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { SlackDriver } from '../driver/index.js';
import { closeServer, createServer, listenOnLoopback, readBody } from '../http.js';
import type { AnswerSettings, OpenAIStandin } from '../llm/index.js';
import { REPO_ROOT } from '../processes.js';
import type { SlackApiStandin } from '../slack/index.js';
import type { Names } from './blocks.js';
import { layoutHtml } from './layout.js';
import {
  callsPane,
  channelPane,
  homePane,
  type Knobs,
  LLM_SPEEDS,
  type MessageContext,
  modalPane,
  type Shortcut,
  threadPane,
  type User,
  type Where,
} from './page.js';

/**
 * The playground's web server on 127.0.0.1: the page, its panes, an event stream that tells the page
 * when the stand-ins changed, and the actions a user takes — each sent to the bot through the
 * signed-request driver, so the bot cannot tell the playground from Slack.
 */

export interface PlaygroundOptions {
  slack: SlackApiStandin;
  /** Undefined when a real LLM answers. */
  llm: OpenAIStandin | undefined;
  driver: SlackDriver;
  users: User[];
  channels: { id: string; name: string }[];
  shortcuts: Shortcut[];
  /** 0: a free port. */
  port: number;
  /** The stand-in LLM's settings at start (the speed knob changes its pace). */
  llmSettings: Partial<AnswerSettings>;
}

export interface Playground {
  url: string;
  close(): Promise<void>;
}

const HTMX = path.join(REPO_ROOT, 'node_modules/htmx.org/dist/htmx.min.js');
/** Page refreshes at most this often while the stand-ins change (a streaming answer changes a lot). */
const REFRESH_MS = 150;

class BadRequest extends Error {}

export const startPlayground = async (o: PlaygroundOptions): Promise<Playground> => {
  const { slack, llm, driver } = o;
  const names: Names = {
    users: Object.fromEntries([[slack.botUserId, 'Backchannel'], ...o.users.map((u) => [u.id, u.name])]),
    channels: Object.fromEntries(o.channels.map((c) => [c.id, c.name])),
  };
  const knobs: Knobs = { llmSpeed: 'normal', llmFault: 'none', slackLimits: false, slackFaultMethod: '' };
  const closedModals = new Set<string>();
  const htmx = readFileSync(HTMX);

  // ----- change notifications: a probe re-checked on every stand-in change, coalesced for the page
  const clients = new Set<http.ServerResponse>();
  let pending: NodeJS.Timeout | undefined;
  const changed = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      for (const res of clients) res.write('data: changed\n\n');
    }, REFRESH_MS);
  };
  let closing = false;
  const watch = (): void => {
    if (closing) return;
    slack
      .waitFor(() => {
        changed();
        return undefined;
      }, 5_000)
      .catch(watch);
  };
  watch();

  // ----- reading the request
  const whereOf = (p: URLSearchParams): Where => {
    const user = o.users.some((u) => u.id === p.get('user')) ? p.get('user')! : o.users[0]!.id;
    let view = p.get('view') || o.channels[0]!.id;
    if (view.startsWith('D')) view = driver.dmChannel(user);
    const thread = p.get('thread') || undefined;
    return { user, view, ...(thread ? { thread } : {}) };
  };
  const messageCtx = (w: Where): Omit<MessageContext, 'replies'> => ({
    names,
    botUserId: slack.botUserId,
    botId: slack.botId,
    shortcuts: o.shortcuts,
    where: w,
    channel: w.view,
  });
  const ephemeralsFor = (w: Where) =>
    slack
      .ephemerals()
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => e.channel === w.view && e.user === w.user);
  const openModal = () =>
    slack
      .modals()
      .filter((v) => !closedModals.has(v.id))
      .at(-1);

  // ----- the knobs
  const applyLlm = () => {
    if (!llm) return;
    llm.reset();
    llm.configure({ ...o.llmSettings, tokensPerSecond: LLM_SPEEDS[knobs.llmSpeed] ?? 40 });
    const fault = knobs.llmFault;
    if (fault === '429') llm.failNext({ kind: '429', retryAfter: 1 }, Infinity);
    else if (fault === '500') llm.failNext({ kind: '5xx', status: 500 }, Infinity);
    else if (fault === 'hang') llm.failNext({ kind: 'hang' }, Infinity);
    else if (fault === 'cut') llm.failNext({ kind: 'cut', afterChunks: 5 }, Infinity);
  };
  applyLlm();
  // One standing fault whose `match` reads the knob: "no method" turns it off without clearing the queue.
  slack.failNext('*', {
    status: 500,
    times: Infinity,
    match: () => knobs.slackFaultMethod !== '',
  });
  const setKnob = (name: string, value: string) => {
    if (name === 'llm-speed' && value in LLM_SPEEDS) knobs.llmSpeed = value;
    else if (name === 'llm-fault' && ['none', '429', '500', 'hang', 'cut'].includes(value))
      knobs.llmFault = value;
    else if (name === 'slack-limits') {
      knobs.slackLimits = value === 'on';
      slack.setRateLimits(knobs.slackLimits);
      return;
    } else if (name === 'slack-fault-method') {
      knobs.slackFaultMethod = value;
      return;
    } else throw new BadRequest(`unknown knob ${name}=${value}`);
    applyLlm();
  };

  // ----- the actions
  const send = async (w: Where, raw: string) => {
    const text = raw.trim();
    if (!text) throw new BadRequest('nothing to send');
    const channel = w.view;
    const threadTs = w.thread;
    const command = /^\/ask(?:\s+|$)([\s\S]*)$/.exec(text);
    if (command) {
      await driver.command({ text: command[1] ?? '', user: w.user, channel });
      return;
    }
    const mention = `<@${slack.botUserId}>`;
    const withMention = text.replace(/@Backchannel\b/gi, mention);
    const base = { channel, user: w.user, text: withMention, ...(threadTs ? { threadTs } : {}) };
    if (withMention.includes(mention) && !channel.startsWith('D')) await driver.mention(base);
    else await driver.message(base);
  };
  const click = async (w: Where, p: URLSearchParams) => {
    const actionId = p.get('actionId') ?? '';
    const value = p.get('value') ?? '';
    const container = p.get('container');
    if (container === 'ephemeral') {
      const e = slack.ephemerals()[Number(p.get('index'))];
      if (!e) throw new BadRequest('that message is gone');
      await driver.ephemeralAction(e, actionId);
    } else if (container === 'view') {
      await driver.blockAction({
        user: w.user,
        actionId,
        value,
        container: 'view',
        viewId: p.get('viewId') ?? '',
      });
    } else if (p.get('feedback') === 'true') {
      if (value !== 'positive' && value !== 'negative')
        throw new BadRequest('a vote is positive or negative');
      await driver.feedback({
        user: w.user,
        channel: p.get('channel') ?? '',
        messageTs: p.get('ts') ?? '',
        vote: value,
      });
    } else {
      await driver.blockAction({
        user: w.user,
        actionId,
        value,
        channel: p.get('channel') ?? '',
        messageTs: p.get('ts') ?? '',
      });
    }
  };
  /** The open modal's fields (`bk:<block>:<action>`) as the view_submission Slack would send. */
  const submitModal = async (w: Where, p: URLSearchParams) => {
    const view = slack.modals().find((v) => v.id === p.get('viewId'));
    if (!view || closedModals.has(view.id)) throw new BadRequest('that modal is not open');
    const values: Record<string, Record<string, string>> = {};
    for (const [key, value] of p) {
      const [kind, blockId, actionId] = key.split(':');
      if (kind !== 'bk' || !blockId || !actionId) continue;
      values[blockId] = { ...values[blockId], [actionId]: value };
    }
    const { ack } = await driver.submitView({ user: w.user, view, values });
    // Slack keeps a modal open when the app answers with errors; otherwise it closes.
    const errors = ackErrors(ack.body);
    if (errors) throw new BadRequest(errors);
    closedModals.add(view.id);
    changed();
  };
  const act = async (action: string, w: Where, p: URLSearchParams) => {
    switch (action) {
      case 'send':
        return send(w, p.get('text') ?? '');
      case 'button':
        return click(w, p);
      case 'shortcut':
        return void (await driver.messageShortcut({
          user: w.user,
          callbackId: p.get('callbackId') ?? '',
          channel: p.get('channel') ?? '',
          messageTs: p.get('ts') ?? '',
        }));
      case 'stop':
        if (!w.thread) throw new BadRequest('no thread open');
        return void (await driver.sessionStopped({ channel: w.view, threadTs: w.thread, user: w.user }));
      case 'close-modal':
        closedModals.add(p.get('viewId') ?? '');
        return changed();
      case 'submit-modal':
        return submitModal(w, p);
      case 'knob':
        return setKnob(p.get('name') ?? '', p.get('value') ?? '');
      default:
        throw new BadRequest(`unknown action ${action}`);
    }
  };

  // ----- routes
  const html = (res: http.ServerResponse, body: string, status = 200) =>
    res
      .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(body);
  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const w = whereOf(url.searchParams);
    if (req.method === 'POST' && url.pathname.startsWith('/act/')) {
      const p = new URLSearchParams(await readBody(req));
      try {
        await act(url.pathname.slice('/act/'.length), whereOf(p), p);
        return void res.writeHead(204).end();
      } catch (err) {
        const status = err instanceof BadRequest ? 400 : 500;
        return void res.writeHead(status, { 'content-type': 'text/plain' }).end((err as Error).message);
      }
    }
    if (req.method !== 'GET') return void res.writeHead(405).end();
    switch (url.pathname) {
      case '/': {
        if (w.view === 'home') void driver.homeOpened({ user: w.user }).catch(() => undefined);
        const channel = o.channels.find((c) => c.id === w.view);
        return void html(
          res,
          layoutHtml({
            where: w,
            users: o.users,
            channels: o.channels,
            dmChannel: driver.dmChannel(w.user),
            knobs,
            llmIsStandin: llm !== undefined,
            title: channel
              ? `# ${channel.name}`
              : w.view === 'home'
                ? 'Home'
                : 'Backchannel (direct message)',
          }),
        );
      }
      case '/pane/channel':
        return void html(res, channelPane(slack.messages(w.view), ephemeralsFor(w), messageCtx(w)));
      case '/pane/thread':
        return void html(
          res,
          w.thread
            ? threadPane(
                slack.messages(w.view, w.thread),
                slack.sessionStatus(w.view, w.thread),
                ephemeralsFor(w),
                messageCtx(w),
              )
            : '',
        );
      case '/pane/home':
        return void html(res, homePane(slack.homeView(w.user), names));
      case '/pane/modal':
        return void html(res, modalPane(openModal(), names));
      case '/pane/calls':
        return void html(res, callsPane(slack.calls()));
      case '/assets/htmx.min.js':
        return void res
          .writeHead(200, {
            'content-type': 'text/javascript; charset=utf-8',
            'cache-control': 'max-age=3600',
          })
          .end(htmx);
      case '/events':
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          connection: 'keep-alive',
        });
        res.write('retry: 1000\n\n');
        clients.add(res);
        req.on('close', () => clients.delete(res));
        return;
      default:
        return void html(res, 'not found', 404);
    }
  };
  const server = createServer(route);
  const port = await listenOnLoopback(server, o.port);
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      closing = true;
      clearTimeout(pending);
      for (const res of clients) res.end();
      await closeServer(server);
    },
  };
};

/** The errors of a `response_action: errors` ack, as one line; undefined for any other ack. */
const ackErrors = (body: unknown): string | undefined => {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const o = parsed as { response_action?: unknown; errors?: unknown } | null;
  if (o?.response_action !== 'errors' || typeof o.errors !== 'object' || o.errors === null) return undefined;
  return Object.values(o.errors as Record<string, unknown>)
    .map(String)
    .join('; ');
};
