import type { AgentSession } from '../slack/agent-sessions.js';
import type { Ephemeral, RecordedCall, StoredMessage, StoredView } from '../slack/types.js';
import {
  emoji,
  escapeHtml as esc,
  formatText,
  type Names,
  renderBlocks,
  renderMessageBody,
} from './blocks.js';

/**
 * The playground's HTML: the whole page (server-rendered) and the panes htmx re-fetches when the
 * stand-ins change. The DOM carries `data-testid`s that the browser test (test/browser) relies on.
 */

export interface User {
  id: string;
  name: string;
  admin?: boolean;
}

export interface Shortcut {
  callbackId: string;
  name: string;
}

/** Where the page is: who acts, which conversation (a channel id, `dm` or `home`) and which thread. */
export interface Where {
  user: string;
  view: string;
  thread?: string;
}

export const query = (w: Where): string =>
  new URLSearchParams({ user: w.user, view: w.view, ...(w.thread ? { thread: w.thread } : {}) }).toString();

const attr = (s: string) => esc(s);

export interface MessageContext {
  names: Names;
  botUserId: string;
  botId: string;
  shortcuts: Shortcut[];
  /** Replies a root has (channel view only). */
  replies?: number;
  where: Where;
  channel: string;
}

export const renderMessage = (m: StoredMessage, ctx: MessageContext): string => {
  const isBot = m.user === ctx.botUserId || m.bot_id !== undefined;
  const who = isBot
    ? (ctx.names.users[ctx.botUserId] ?? 'Backchannel')
    : (ctx.names.users[m.user ?? ''] ?? m.user);
  const reactions = (m.reactions ?? [])
    .map(
      (r) =>
        `<span class="reaction" data-testid="reaction" data-name="${attr(r.name)}" title=":${attr(r.name)}:">${emoji(r.name)} ${r.count}</span>`,
    )
    .join('');
  const thread =
    ctx.replies !== undefined
      ? `<a class="open-thread" data-testid="open-thread" data-ts="${attr(m.ts)}" href="/?${query({ ...ctx.where, thread: m.ts })}">${ctx.replies ? `${ctx.replies} ${ctx.replies === 1 ? 'reply' : 'replies'}` : 'Reply in thread'}</a>`
      : '';
  const menu = `<details class="message-menu" data-testid="message-menu" data-ts="${attr(m.ts)}"><summary title="More actions">⋮</summary><div class="menu-items">${ctx.shortcuts
    .map(
      (s) =>
        `<button type="button" data-testid="shortcut" data-callback-id="${attr(s.callbackId)}">${esc(s.name)}</button>`,
    )
    .join('')}</div></details>`;
  const streaming = m.stream === 'streaming' ? '<span class="badge">streaming…</span>' : '';
  return `<div class="message${isBot ? ' bot' : ''}" data-testid="message" data-ts="${attr(m.ts)}" data-user="${attr(m.user ?? '')}"${isBot ? ' data-bot="true"' : ''} data-container="message" data-channel="${attr(ctx.channel)}">
<div class="message-head"><b>${esc(who ?? '')}</b>${isBot ? ' <span class="badge">APP</span>' : ''} <span class="ts">${attr(m.ts)}</span>${streaming}${menu}</div>
${renderMessageBody(m, ctx.names)}
<div class="reactions">${reactions}</div>${thread}</div>`;
};

const renderEphemeral = (e: Ephemeral, i: number, names: Names): string =>
  `<div class="message ephemeral" data-testid="ephemeral" data-container="ephemeral" data-index="${i}">
<div class="message-head"><b>Backchannel</b> <span class="badge">Only visible to you</span></div>
${e.blocks?.length ? `<div data-testid="message-text">${renderBlocks(e.blocks, names)}</div>` : `<div data-testid="message-text">${formatText(e.text, names)}</div>`}</div>`;

/** A channel or DM: its top-level messages with their thread links, and the user's ephemerals. */
export const channelPane = (
  messages: StoredMessage[],
  ephemerals: { e: Ephemeral; i: number }[],
  ctx: Omit<MessageContext, 'replies'>,
): string => {
  const roots = messages.filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts);
  const count = (ts: string) => messages.filter((m) => m.thread_ts === ts && m.ts !== ts).length;
  const body = roots.map((m) => renderMessage(m, { ...ctx, replies: count(m.ts) })).join('\n');
  const eph = ephemerals
    .filter(({ e }) => e.thread_ts === undefined)
    .map(({ e, i }) => renderEphemeral(e, i, ctx.names))
    .join('\n');
  return body || eph
    ? `${body}${eph}`
    : '<p class="empty">No messages yet. Say hello, or mention @Backchannel.</p>';
};

/** The thread pane's content: its messages and, when it has one, the agent session's status and stop button. */
export const threadPane = (
  messages: StoredMessage[],
  session: AgentSession | undefined,
  ephemerals: { e: Ephemeral; i: number }[],
  ctx: Omit<MessageContext, 'replies'>,
): string => {
  const streaming = messages.some((m) => m.stream === 'streaming');
  const status = session
    ? `<div class="session"><span>Agent session “${esc(session.title)}”: </span><span data-testid="session-status">${esc(session.status)}</span>${
        session.status === 'processing' || streaming
          ? ' <button type="button" data-testid="session-stop" class="stop">■ Stop</button>'
          : ''
      }</div>`
    : '';
  const eph = ephemerals
    .filter(({ e }) => e.thread_ts === ctx.where.thread)
    .map(({ e, i }) => renderEphemeral(e, i, ctx.names))
    .join('\n');
  return `${status}${messages.map((m) => renderMessage(m, ctx)).join('\n')}${eph}`;
};

export const homePane = (view: StoredView | undefined, names: Names): string =>
  view
    ? `<div data-container="view" data-view-id="${attr(view.id)}">${renderBlocks(view.blocks, names)}</div>`
    : '<p class="empty">The bot has not published a Home tab for this user yet…</p>';

export const modalPane = (view: StoredView | undefined, names: Names): string => {
  if (!view) return '';
  const title = (view.title as { text?: string } | undefined)?.text ?? '';
  const submit = (view.submit as { text?: string } | undefined)?.text;
  // A modal with a submit button is a form: its fields go back as the view's state (view_submission).
  const body = submit
    ? `<form data-testid="modal-form">${renderBlocks(view.blocks, names)}<div class="modal-foot"><button type="submit" data-testid="modal-submit">${esc(submit)}</button></div></form>`
    : renderBlocks(view.blocks, names);
  return `<div class="modal-backdrop"><div class="modal" data-testid="modal" data-view-id="${attr(view.id)}" data-container="view">
<div class="modal-head"><b data-testid="modal-title">${esc(title)}</b><button type="button" data-testid="modal-close" title="Close">✕</button></div>
<div class="modal-body">${body}</div></div></div>`;
};

export const callsPane = (calls: RecordedCall[]): string =>
  calls
    .slice(-80)
    .reverse()
    .map((c) => {
      const ok = c.status === 200 && c.response?.ok === true;
      const result = ok
        ? 'ok'
        : c.status === 0
          ? 'no answer'
          : String(c.response?.error ?? `HTTP ${c.status}`);
      return `<li class="call ${ok ? 'ok' : 'error'}" data-testid="slack-call" data-method="${attr(c.method)}" data-ok="${ok}"><span class="method">${esc(c.method)}</span> <span class="ms">${c.ms ?? 0} ms</span> <span class="result">${esc(result)}</span></li>`;
    })
    .join('');

export interface Knobs {
  llmSpeed: string;
  llmFault: string;
  slackLimits: boolean;
  slackFaultMethod: string;
}

export const LLM_SPEEDS: Record<string, number> = { slow: 8, normal: 40, fast: 400, instant: Infinity };
export const LLM_FAULTS = ['none', '429', '500', 'hang', 'cut'] as const;
export const SLACK_FAULT_METHODS = [
  'chat.postMessage',
  'chat.update',
  'chat.startStream',
  'chat.appendStream',
  'chat.stopStream',
  'reactions.add',
  'views.publish',
  'views.open',
  'conversations.replies',
  'agents.sessions.setStatus',
];

const select = (
  testid: string,
  name: string,
  options: readonly string[],
  current: string,
  labels: Record<string, string> = {},
) =>
  `<select data-testid="${testid}" name="value" hx-post="/act/knob" hx-vals='{"name":"${name}"}' hx-trigger="change" hx-swap="none">${options
    .map(
      (o) => `<option value="${attr(o)}"${o === current ? ' selected' : ''}>${esc(labels[o] ?? o)}</option>`,
    )
    .join('')}</select>`;

export const knobsHtml = (k: Knobs, llmIsStandin: boolean): string => `<div class="knobs">
<label>LLM speed ${select('knob-llm-speed', 'llm-speed', Object.keys(LLM_SPEEDS), k.llmSpeed)}</label>
<label>LLM fault ${select('knob-llm-fault', 'llm-fault', LLM_FAULTS, k.llmFault)}</label>
${llmIsStandin ? '' : '<p class="note">A real LLM is configured: the LLM knobs do nothing.</p>'}
<label><input type="checkbox" data-testid="knob-slack-limits" name="value" value="on"${k.slackLimits ? ' checked' : ''} hx-post="/act/knob" hx-vals='{"name":"slack-limits"}' hx-trigger="change" hx-swap="none"> Slack rate limits</label>
<label>Slack fault on ${select('knob-slack-fault-method', 'slack-fault-method', ['', ...SLACK_FAULT_METHODS], k.slackFaultMethod, { '': 'no method' })}</label>
</div>`;
