import { escapeHtml as esc } from './blocks.js';
import { type Knobs, knobsHtml, query, type User, type Where } from './page.js';

/**
 * The page around the panes: the user picker, the sidebar, the composers and the side panel. The
 * panes (`hx-get`) re-render whenever the server's event stream says the stand-ins changed; the
 * composers stay outside them so what a user is typing survives a refresh.
 */

export interface LayoutInput {
  where: Where;
  users: User[];
  channels: { id: string; name: string }[];
  dmChannel: string;
  knobs: Knobs;
  llmIsStandin: boolean;
  /** The title of the main pane: `# general`, `Backchannel (DM)`, `Home`. */
  title: string;
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,sans-serif;display:grid;grid-template-columns:190px 1fr 300px;height:100vh;color:#1d1c1d}
nav{background:#3f0e40;color:#fff;padding:10px;overflow:auto}nav a{display:block;color:#ddd;text-decoration:none;padding:3px 6px;border-radius:4px}nav a.here{background:#1164a3;color:#fff}
nav select{width:100%;margin:4px 0 12px}nav h4{margin:12px 0 4px;font-size:12px;color:#bbb;text-transform:uppercase}
main{display:flex;min-width:0}section.pane{flex:1;display:flex;flex-direction:column;min-width:0;border-right:1px solid #ddd}
.pane h2{margin:0;padding:10px 14px;border-bottom:1px solid #ddd;font-size:16px}.scroll{flex:1;overflow:auto;padding:8px 14px}
form.composer{display:flex;gap:6px;padding:8px 14px;border-top:1px solid #ddd}form.composer textarea{flex:1;height:54px}
.message{padding:6px 0;border-bottom:1px solid #f2f2f2}.message.bot{background:#fafafa}.message-head{display:flex;gap:6px;align-items:center}
.message-text{white-space:pre-wrap}.ts{color:#999;font-size:11px}.badge{font-size:10px;background:#eee;border-radius:3px;padding:0 4px}
.reaction{display:inline-block;border:1px solid #ccc;border-radius:10px;padding:0 6px;margin:2px 4px 0 0;font-size:12px}
.open-thread{font-size:12px;color:#1264a3}.mention{background:#e8f5fa;color:#1264a3}.ephemeral{background:#fffbe6}
.message-menu{margin-left:auto;position:relative}.message-menu summary{list-style:none;cursor:pointer;padding:0 6px}
.menu-items{position:absolute;right:0;background:#fff;border:1px solid #ccc;z-index:5;display:flex;flex-direction:column;min-width:190px}
.menu-items button{text-align:left;border:0;background:none;padding:6px}.menu-items button:hover{background:#1264a3;color:#fff}
.bk-actions,.bk-context{display:flex;gap:6px;flex-wrap:wrap;margin:4px 0}.bk-context{color:#666;font-size:12px}
.bk-button{border:1px solid #bbb;background:#fff;border-radius:4px;padding:2px 10px;cursor:pointer}.bk-button[data-style=primary]{background:#007a5a;color:#fff}.bk-button[data-style=danger]{color:#e01e5a}
.bk-section{display:flex;gap:8px;justify-content:space-between;margin:4px 0}.bk-text{white-space:pre-wrap}.bk-fields{display:grid;grid-template-columns:1fr 1fr;gap:4px}
.bk-table{border-collapse:collapse}.bk-table td,.bk-table th{border:1px solid #ccc;padding:2px 6px}.bk-unknown{border:1px dashed #e01e5a;color:#e01e5a;padding:2px 6px;margin:4px 0}
.session{padding:6px;background:#eef6ff;border-radius:4px;margin-bottom:6px}.stop{color:#e01e5a}
aside{padding:10px;overflow:auto;background:#f8f8f8;font-size:12px}.knobs label{display:block;margin:4px 0}.calls{list-style:none;padding:0;margin:0}
.call{display:flex;gap:6px;padding:2px 0;border-bottom:1px solid #eee}.call .method{flex:1}.call.error .result{color:#e01e5a}.call.ok .result{color:#007a5a}
.modal-backdrop{position:fixed;inset:0;background:#0006;display:flex;align-items:center;justify-content:center;z-index:10}
.modal{background:#fff;border-radius:8px;width:520px;max-height:80vh;overflow:auto;padding:14px}.modal-head{display:flex;justify-content:space-between;margin-bottom:8px}
.bk-input{display:block;margin:8px 0}.bk-input textarea,.bk-input input,.bk-input select{display:block;width:100%;box-sizing:border-box;margin-top:4px;font:inherit}.modal-foot{text-align:right;margin-top:8px}
#error{color:#e01e5a;padding:0 14px}.empty{color:#888}
`;

/**
 * Clicks on Block Kit buttons, shortcuts, the stop button, the modal's close and its submit become POSTs the
 * server turns into signed requests; the event stream makes panes re-fetch; open `⋮` menus stay open.
 */
const SCRIPT = `
const where = JSON.parse(document.body.dataset.where);
const post = async (path, body) => {
  const res = await fetch(path, { method: 'POST', body: new URLSearchParams({ ...where, ...body }) });
  document.getElementById('error').textContent = res.ok ? '' : await res.text();
};
document.addEventListener('click', (ev) => {
  const t = ev.target.closest('button');
  if (!t) return;
  const msg = t.closest('[data-container]');
  const c = msg ? msg.dataset : {};
  if (t.dataset.actionId !== undefined) {
    ev.preventDefault();
    post('/act/button', { actionId: t.dataset.actionId, value: t.dataset.value ?? '', feedback: t.dataset.feedback ?? '',
      container: c.container ?? '', channel: c.channel ?? '', ts: msg?.dataset.ts ?? '', viewId: c.viewId ?? '', index: c.index ?? '' });
  } else if (t.dataset.testid === 'shortcut') {
    t.closest('details').open = false;
    post('/act/shortcut', { callbackId: t.dataset.callbackId, channel: c.channel, ts: msg.dataset.ts });
  } else if (t.dataset.testid === 'session-stop') {
    post('/act/stop', {});
  } else if (t.dataset.testid === 'modal-close') {
    post('/act/close-modal', { viewId: t.closest('[data-view-id]').dataset.viewId });
  }
});
document.addEventListener('submit', (ev) => {
  const form = ev.target.closest('[data-testid=modal-form]');
  if (!form) return;
  ev.preventDefault();
  const fields = Object.fromEntries([...new FormData(form)].filter(([k]) => k.startsWith('bk:')));
  post('/act/submit-modal', { viewId: form.closest('[data-view-id]').dataset.viewId, ...fields });
});
// A re-render of the same open modal would wipe what is being typed in it: keep it until it changes.
document.body.addEventListener('htmx:beforeSwap', (ev) => {
  const open = ev.detail.target.querySelector('[data-testid=modal-form]');
  if (!open) return;
  const id = open.closest('[data-view-id]').dataset.viewId;
  if (ev.detail.serverResponse.includes('data-view-id="' + id + '"')) ev.detail.shouldSwap = false;
});
const openMenus = new Set();
document.addEventListener('toggle', (ev) => {
  const d = ev.target;
  if (d.dataset && d.dataset.testid === 'message-menu') d.open ? openMenus.add(d.dataset.ts) : openMenus.delete(d.dataset.ts);
}, true);
document.body.addEventListener('htmx:afterSwap', (ev) => {
  for (const d of ev.detail.target.querySelectorAll('[data-testid=message-menu]')) if (openMenus.has(d.dataset.ts)) d.open = true;
});
const events = new EventSource('/events');
events.onmessage = () => htmx.trigger(document.body, 'bc-changed');
`;

const pane = (id: string, path: string, where: Where) =>
  `<div id="${id}" class="scroll" hx-get="${path}?${query(where)}" hx-trigger="load, bc-changed from:body" hx-sync="this:replace"></div>`;

const composer = (testid: string, sendId: string, where: Where, placeholder: string) =>
  `<form class="composer" hx-post="/act/send" hx-swap="none" hx-on::after-request="if (event.detail.successful) this.reset()">
<input type="hidden" name="user" value="${esc(where.user)}"><input type="hidden" name="view" value="${esc(where.view)}">${where.thread && testid === 'thread-composer' ? `<input type="hidden" name="thread" value="${esc(where.thread)}">` : ''}
<textarea data-testid="${testid}" name="text" placeholder="${esc(placeholder)}"></textarea><button type="submit" data-testid="${sendId}">Send</button></form>`;

export const layoutHtml = (p: LayoutInput): string => {
  const { where } = p;
  const link = (testid: string, view: string, label: string, extra = '') =>
    `<a data-testid="${testid}"${extra} class="${where.view === view ? 'here' : ''}" href="/?${query({ user: where.user, view })}">${esc(label)}</a>`;
  const isHome = where.view === 'home';
  const main = isHome
    ? `<section class="pane"><h2>Backchannel · Home</h2><div data-testid="home" class="home">${pane('home-pane', '/pane/home', where)}</div></section>`
    : `<section class="pane"><h2>${esc(p.title)}</h2>${pane('channel-pane', '/pane/channel', where)}
${composer('composer', 'send', where, 'Message… (@Backchannel to mention the bot, /ask to run the command)')}</section>`;
  const thread =
    where.thread && !isHome
      ? `<section class="pane" data-testid="thread"><h2>Thread <a href="/?${query({ user: where.user, view: where.view })}" title="Close the thread">✕</a></h2>${pane('thread-pane', '/pane/thread', where)}
${composer('thread-composer', 'thread-send', where, 'Reply…')}</section>`
      : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Backchannel playground</title>
<style>${CSS}</style><script src="/assets/htmx.min.js"></script></head>
<body data-where="${esc(JSON.stringify(where))}">
<nav><b>Backchannel playground</b>
<h4>Acting as</h4><select data-testid="user-picker" onchange="location.href='/?'+new URLSearchParams({user:this.value,view:${esc(JSON.stringify(where.view))}})">${p.users
    .map(
      (u) =>
        `<option value="${esc(u.id)}"${u.id === where.user ? ' selected' : ''}>${esc(u.name)}${u.admin ? ' (admin)' : ''}</option>`,
    )
    .join('')}</select>
<h4>Channels</h4>${p.channels.map((c) => link('nav-channel', c.id, `# ${c.name}`, ` data-channel="${esc(c.id)}"`)).join('')}
<h4>Apps</h4>${link('nav-dm', p.dmChannel, 'Backchannel (DM)')}${link('nav-home', 'home', 'Backchannel · Home')}
</nav>
<main>${main}${thread}</main>
<aside><h3>Knobs</h3>${knobsHtml(p.knobs, p.llmIsStandin)}
<h3>Slack API calls</h3><ul class="calls" data-testid="slack-calls" hx-get="/pane/calls" hx-trigger="load, bc-changed from:body" hx-sync="this:replace"></ul></aside>
<div id="error" data-testid="action-error"></div>
<div id="modal" hx-get="/pane/modal?${query(where)}" hx-trigger="load, bc-changed from:body" hx-sync="this:replace"></div>
<script>${SCRIPT}</script></body></html>`;
};
