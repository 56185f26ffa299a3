/**
 * Block Kit as the playground page shows it: one small renderer per block type in a table, text
 * formatting for Slack's mrkdwn and the `markdown` block, and a labelled placeholder for anything
 * the table does not know (never dropped silently). It reads only what Slack would see — the JSON
 * the bot sent — and imports no bot code.
 *
 * Buttons render as `button[data-action-id][data-value]`; the page's script turns a click into the
 * signed `block_actions` Slack would send (see server.ts).
 */

type Json = Record<string, unknown>;

/** Names for user mentions (`<@U…>`) and channel links (`<#C…>`). */
export interface Names {
  users: Record<string, string>;
  channels: Record<string, string>;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  hourglass_flowing_sand: '⏳',
  x: '❌',
  warning: '⚠️',
  eyes: '👀',
  mailbox_with_mail: '📬',
  thumbsup: '👍',
  '+1': '👍',
  thumbsdown: '👎',
  '-1': '👎',
  stop_button: '⏹️',
  no_entry_sign: '🚫',
  hourglass: '⌛',
  memo: '📝',
  speech_balloon: '💬',
};
export const emoji = (name: string): string => EMOJI[name] ?? `:${name}:`;

/**
 * Slack text (mrkdwn, or the `markdown` block's CommonMark) to HTML: escaped first, then mentions,
 * links, code, bold, italics, strike and emoji codes; line breaks kept by CSS (`white-space: pre-wrap`).
 */
export const formatText = (raw: string, names: Names, kind: 'mrkdwn' | 'markdown' = 'mrkdwn'): string => {
  const code: string[] = [];
  let s = escapeHtml(raw).replace(/```([\s\S]*?)```|`([^`\n]+)`/g, (_m, block?: string, inline?: string) => {
    code.push(block !== undefined ? `<pre>${block}</pre>` : `<code>${inline}</code>`);
    return `\uE000${code.length - 1}\uE000`;
  });
  s = s
    .replace(/&#60;@([UW][A-Z0-9]+)(?:\|[^&]*)?&#62;/g, (_m, id: string) => {
      return `<span class="mention">@${escapeHtml(names.users[id] ?? id)}</span>`;
    })
    .replace(/&#60;#(C[A-Z0-9]+)(?:\|([^&]*))?&#62;/g, (_m, id: string, label?: string) => {
      return `<span class="mention">#${label || escapeHtml(names.channels[id] ?? id)}</span>`;
    })
    .replace(/&#60;!(here|channel|everyone)&#62;/g, '<span class="mention">@$1</span>')
    .replace(/&#60;(https?:[^|&]+?)(?:\|(.*?))?&#62;/g, (_m, url: string, label?: string) => {
      return `<a href="${url}" target="_blank" rel="noreferrer">${label || url}</a>`;
    })
    .replace(/\[([^\]\n]+)\]\((https?:[^)\s]+)\)/g, '<a href="$2" target="_blank" rel="noreferrer">$1</a>');
  s =
    kind === 'markdown'
      ? s
          .replace(/\*\*([^*\n]+)\*\*/g, '<b>$1</b>')
          .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,!?:;])/gm, '$1<i>$2</i>')
          .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,!?:;])/gm, '$1<i>$2</i>')
          .replace(/^#{1,6} (.*)$/gm, '<b>$1</b>')
      : s
          .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,!?:;])/gm, '$1<b>$2</b>')
          .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,!?:;])/gm, '$1<i>$2</i>');
  s = s
    .replace(/^&#62; ?(.*)$/gm, '<blockquote>$1</blockquote>')
    .replace(/(^|\s)~([^~\n]+)~(?=$|\s)/gm, '$1<s>$2</s>')
    .replace(/:([a-z0-9_+-]+):/g, (m, name: string) => (EMOJI[name] ? EMOJI[name] : m));
  return s.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => code[Number(i)] ?? '');
};

/** A text object (`plain_text` or `mrkdwn`). */
const textObject = (t: unknown, names: Names): string => {
  if (!isObject(t)) return '';
  const text = str(t.text);
  return t.type === 'mrkdwn' ? formatText(text, names) : formatText(text, names, 'markdown');
};

export const button = (actionId: string, value: string, label: string, extra = ''): string =>
  `<button type="button" class="bk-button" data-action-id="${escapeHtml(actionId)}" data-value="${escapeHtml(value)}"${extra}>${label}</button>`;

const unknown = (type: string, what = 'block'): string =>
  `<div class="bk-unknown" data-testid="unknown-${what}" data-type="${escapeHtml(type)}">[${escapeHtml(type || '?')} ${what}]</div>`;

/** An interactive or content element inside section accessories, actions, context. */
const element = (el: unknown, names: Names): string => {
  if (!isObject(el)) return unknown('?', 'element');
  switch (el.type) {
    case 'button':
      return button(
        str(el.action_id),
        str(el.value),
        textObject(el.text, names),
        `${el.style ? ` data-style="${escapeHtml(str(el.style))}"` : ''}${el.url ? ` data-url="${escapeHtml(str(el.url))}"` : ''}`,
      );
    case 'feedback_buttons':
      return ['positive', 'negative']
        .map((vote) => {
          const b = isObject(el[`${vote}_button`]) ? (el[`${vote}_button`] as Json) : {};
          return button(
            str(el.action_id),
            str(b.value) || vote,
            textObject(b.text, names),
            ' data-feedback="true"',
          );
        })
        .join('');
    case 'icon_button':
      return button(str(el.action_id), str(el.value), textObject(el.text, names) || escapeHtml(str(el.icon)));
    case 'image':
      return `<span class="bk-image" title="${escapeHtml(str(el.image_url))}">🖼 ${escapeHtml(str(el.alt_text))}</span>`;
    case 'mrkdwn':
    case 'plain_text':
      return `<span>${textObject(el, names)}</span>`;
    default:
      return unknown(str(el.type), 'element');
  }
};

const richInline = (el: unknown, names: Names): string => {
  if (!isObject(el)) return '';
  const style = isObject(el.style) ? el.style : {};
  let html: string;
  switch (el.type) {
    case 'text':
      html = escapeHtml(str(el.text));
      break;
    case 'link':
      html = `<a href="${escapeHtml(str(el.url))}" target="_blank" rel="noreferrer">${escapeHtml(str(el.text) || str(el.url))}</a>`;
      break;
    case 'user':
      html = `<span class="mention">@${escapeHtml(names.users[str(el.user_id)] ?? str(el.user_id))}</span>`;
      break;
    case 'channel':
      html = `<span class="mention">#${escapeHtml(names.channels[str(el.channel_id)] ?? str(el.channel_id))}</span>`;
      break;
    case 'emoji':
      html = emoji(str(el.name));
      break;
    default:
      return unknown(str(el.type), 'element');
  }
  if (style.code) html = `<code>${html}</code>`;
  if (style.bold) html = `<b>${html}</b>`;
  if (style.italic) html = `<i>${html}</i>`;
  if (style.strike) html = `<s>${html}</s>`;
  return html;
};

const richSection = (el: unknown, names: Names): string => {
  if (!isObject(el)) return '';
  const inner = list(el.elements)
    .map((e) =>
      isObject(e) && e.type === 'rich_text_section' ? richSection(e, names) : richInline(e, names),
    )
    .join('');
  switch (el.type) {
    case 'rich_text_section':
      return `<span>${inner}</span>`;
    case 'rich_text_preformatted':
      return `<pre>${inner}</pre>`;
    case 'rich_text_quote':
      return `<blockquote>${inner}</blockquote>`;
    case 'rich_text_list': {
      const tag = el.style === 'ordered' ? 'ol' : 'ul';
      const items = list(el.elements).map((i) => `<li>${richSection(i, names)}</li>`);
      return `<${tag}>${items.join('')}</${tag}>`;
    }
    default:
      return unknown(str(el.type), 'element');
  }
};

const tableCell = (c: unknown, names: Names): string => {
  if (!isObject(c)) return '';
  if (c.type === 'raw_text') return escapeHtml(str(c.text));
  if (c.type === 'rich_text')
    return list(c.elements)
      .map((e) => richSection(e, names))
      .join('');
  return unknown(str(c.type), 'element');
};

type BlockRenderer = (b: Json, names: Names) => string;

/** The table: one renderer per block type Slack shows. */
const BLOCKS: Record<string, BlockRenderer> = {
  markdown: (b, n) => `<div class="bk-markdown">${formatText(str(b.text), n, 'markdown')}</div>`,
  section: (b, n) => {
    const text = b.text ? `<div class="bk-text">${textObject(b.text, n)}</div>` : '';
    const fields = list(b.fields).length
      ? `<div class="bk-fields">${list(b.fields)
          .map((f) => `<div>${textObject(f, n)}</div>`)
          .join('')}</div>`
      : '';
    const accessory = b.accessory ? `<div class="bk-accessory">${element(b.accessory, n)}</div>` : '';
    return `<div class="bk-section">${text}${fields}${accessory}</div>`;
  },
  header: (b, n) => `<h3 class="bk-header">${textObject(b.text, n)}</h3>`,
  divider: () => '<hr class="bk-divider">',
  context: (b, n) =>
    `<div class="bk-context">${list(b.elements)
      .map((e) => element(e, n))
      .join(' ')}</div>`,
  actions: (b, n) =>
    `<div class="bk-actions">${list(b.elements)
      .map((e) => element(e, n))
      .join('')}</div>`,
  context_actions: (b, n) =>
    `<div class="bk-actions bk-context-actions">${list(b.elements)
      .map((e) => element(e, n))
      .join('')}</div>`,
  rich_text: (b, n) =>
    `<div class="bk-rich">${list(b.elements)
      .map((e) => richSection(e, n))
      .join('')}</div>`,
  table: (b, n) =>
    `<table class="bk-table">${list(b.rows)
      .map(
        (r, i) =>
          `<tr>${list(r)
            .map((c) => (i === 0 ? `<th>${tableCell(c, n)}</th>` : `<td>${tableCell(c, n)}</td>`))
            .join('')}</tr>`,
      )
      .join('')}</table>`,
  image: (b) =>
    `<div class="bk-image">🖼 ${escapeHtml(str(b.alt_text) || str(isObject(b.title) ? b.title.text : ''))}</div>`,
  input: (b, n) => {
    const el = isObject(b.element) ? b.element : {};
    return `<label class="bk-input">${textObject(b.label, n)}${inputField(str(b.block_id), el)}</label>`;
  },
};

/**
 * An input block's element as a form field named `bk:<block_id>:<action_id>` (what the page posts
 * back as the view's state). Elements without a field here show disabled, labelled by their type.
 */
const inputField = (blockId: string, el: Json): string => {
  const type = str(el.type);
  const name = escapeHtml(`bk:${blockId}:${str(el.action_id)}`);
  const hint = escapeHtml(str(isObject(el.placeholder) ? el.placeholder.text : '') || type);
  const optionValue = (o: unknown) => (isObject(o) ? str(o.value) : '');
  if (type === 'plain_text_input') {
    const value = escapeHtml(str(el.initial_value));
    return el.multiline === true
      ? `<textarea name="${name}" placeholder="${hint}" data-testid="modal-input">${value}</textarea>`
      : `<input name="${name}" placeholder="${hint}" value="${value}" data-testid="modal-input">`;
  }
  if (type === 'number_input')
    return `<input type="number" name="${name}" placeholder="${hint}" value="${escapeHtml(str(el.initial_value))}" data-testid="modal-input">`;
  if (type === 'static_select') {
    const chosen = optionValue(el.initial_option);
    const options = list(el.options).filter(isObject);
    return `<select name="${name}" data-testid="modal-input"><option value=""></option>${options
      .map((o) => {
        const v = optionValue(o);
        const label = isObject(o.text) ? str(o.text.text) : v;
        return `<option value="${escapeHtml(v)}"${v === chosen ? ' selected' : ''}>${escapeHtml(label)}</option>`;
      })
      .join('')}</select>`;
  }
  if (type === 'conversations_select' || type === 'channels_select' || type === 'users_select') {
    const initial = str(el.initial_conversation) || str(el.initial_channel) || str(el.initial_user);
    const idHint = type === 'users_select' ? 'a user id (U…)' : 'a channel id (C…)';
    return `<input name="${name}" placeholder="${escapeHtml(idHint)}" value="${escapeHtml(initial)}" data-testid="modal-input">`;
  }
  return `<textarea disabled placeholder="${escapeHtml(type)}"></textarea>`;
};

export const renderBlock = (block: unknown, names: Names): string => {
  if (!isObject(block)) return unknown('?');
  const render = BLOCKS[str(block.type)];
  return render ? render(block, names) : unknown(str(block.type));
};

export const renderBlocks = (blocks: unknown[] | undefined, names: Names): string =>
  (blocks ?? []).map((b) => renderBlock(b, names)).join('');

/** Blocks that carry a message's text; when a message has none, its `text` is what shows. */
const TEXT_BLOCKS = new Set(['markdown', 'section', 'header', 'rich_text', 'table']);

/** A message's body: its text part (inside `[data-testid=message-text]`) and its other blocks. */
export const renderMessageBody = (
  m: { text: string; blocks?: unknown[]; stream?: string },
  names: Names,
): string => {
  const blocks = m.blocks ?? [];
  const hasText = blocks.some((b) => isObject(b) && TEXT_BLOCKS.has(str(b.type)));
  if (hasText)
    return `<div class="message-text" data-testid="message-text">${renderBlocks(blocks, names)}</div>`;
  // A streamed answer's text is the markdown the stream appended.
  const text = formatText(m.text, names, m.stream === undefined ? 'mrkdwn' : 'markdown');
  return `<div class="message-text" data-testid="message-text">${text}</div>${renderBlocks(blocks, names)}`;
};
