/**
 * What a Slack user would read, as terminal text: a thread's messages with their reactions, and a
 * Block Kit view (the Home tab, a modal) with its headers, sections, context lines and buttons.
 * Pure: messages and views in (the shapes the Slack stand-in stores), lines of text out.
 */

/** Who is who: display names of users (the bot included) and channel names, by id. */
export interface Names {
  users: Readonly<Record<string, string>>;
  channels: Readonly<Record<string, string>>;
}

/** The fields of a stored Slack message that rendering reads. */
export interface ThreadMessage {
  ts: string;
  text: string;
  user?: string;
  bot_id?: string;
  blocks?: unknown[];
  reactions?: { name: string; count: number }[];
}

/** A view as `views.publish` / `views.open` receive it. */
export interface ViewLike {
  type?: unknown;
  title?: unknown;
  close?: unknown;
  blocks?: unknown[];
}

export interface RenderOptions {
  /** Terminal columns to fit; lines are wrapped to it (default 100). */
  width?: number;
}

const EMOJI: Readonly<Record<string, string>> = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  hourglass_flowing_sand: '⏳',
  hourglass: '⌛',
  gear: '⚙️',
  x: '❌',
  no_entry_sign: '🚫',
  no_entry: '⛔',
  warning: '⚠️',
  mailbox_with_mail: '📬',
  eyes: '👀',
  wave: '👋',
  '+1': '👍',
  thumbsup: '👍',
  '-1': '👎',
  tada: '🎉',
  heart: '❤️',
  raised_hands: '🙌',
  pray: '🙏',
  rocket: '🚀',
  fire: '🔥',
  memo: '📝',
  bulb: '💡',
  speech_balloon: '💬',
  question: '❓',
  writing_hand: '✍️',
  robot_face: '🤖',
};

/** A reaction or `:shortcode:` as the emoji Slack shows, or `:name:` when we do not know it. */
export const emoji = (name: string): string => EMOJI[name] ?? `:${name}:`;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const textField = (v: unknown): string | undefined =>
  isObject(v) && typeof v.text === 'string' ? v.text : undefined;

/**
 * Slack message markup as a reader sees it: `<@U…>` as `@Name`, `<#C…>` as `#name`, links as their
 * label, `&lt;`-style entities unescaped, known `:shortcodes:` as emoji, word joiners dropped.
 */
export const slackText = (text: string, names: Names): string =>
  text
    .replace(/<@([UW][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => {
      return `@${names.users[id] ?? (label || id)}`;
    })
    .replace(/<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => {
      return `#${label || names.channels[id] || id}`;
    })
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>/g, (_m, label?: string) => label || '@team')
    .replace(/<((?:https?|mailto):[^|>]+)\|([^>]+)>/g, '$2')
    .replace(/<((?:https?|mailto):[^>]+)>/g, '$1')
    .replace(/:([a-z0-9_+-]+):/g, (m, name: string) => EMOJI[name] ?? m)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\u2060/g, '');

/**
 * Emphasis (mrkdwn `*bold*`, Markdown `**bold**`, `_italic_`) has no plain-text form; the words
 * alone read as Slack shows them. Code spans and everything else are left as written.
 */
export const stripEmphasis = (text: string): string =>
  text
    .replace(/(\*\*|__)(?=\S)([^\n]*?\S)\1/g, '$2')
    .replace(/(^|[\s(>"“])\*(?=\S)([^*\n]*?\S)\*(?=$|[\s).,:;!?"”])/gm, '$1$2')
    .replace(/(^|[\s(>"“])_(?=\S)([^_\n]*?\S)_(?=$|[\s).,:;!?"”])/gm, '$1$2');

/** A quoted line (`>` in mrkdwn and Markdown) with the bar Slack draws beside it. */
const quoteBars = (text: string): string => text.replace(/^> ?/gm, '▌ ');

/**
 * The text a message shows: its `markdown` blocks (the bot's answers; `text` is then only the
 * notification fallback), else its `text` (user messages, streamed answers, plain notes).
 */
export const messageText = (m: Pick<ThreadMessage, 'text' | 'blocks'>): string => {
  const markdown = (m.blocks ?? [])
    .filter((b): b is { type: 'markdown'; text: string } => isObject(b) && b.type === 'markdown')
    .map((b) => String(b.text));
  return markdown.length > 0 ? markdown.join('\n') : m.text;
};

const ZERO_WIDTH = new Set([0x200b, 0x200c, 0x200d, 0x2060, 0xfe0e, 0xfe0f]);

/** Code points terminals draw two columns wide: emoji presentation, CJK, fullwidth forms. */
const isWide = (cp: number): boolean =>
  cp >= 0x1f000 ||
  (cp >= 0x1100 && cp <= 0x115f) ||
  (cp >= 0x2e80 && cp <= 0xa4cf) ||
  (cp >= 0xac00 && cp <= 0xd7a3) ||
  (cp >= 0xf900 && cp <= 0xfaff) ||
  (cp >= 0xff00 && cp <= 0xff60) ||
  (cp >= 0xffe0 && cp <= 0xffe6) ||
  [0x231a, 0x231b, 0x23f0, 0x23f3, 0x2614, 0x2615, 0x26a1, 0x26d4, 0x2705, 0x2728, 0x274c, 0x274e].includes(
    cp,
  ) ||
  (cp >= 0x23e9 && cp <= 0x23ec) ||
  (cp >= 0x2753 && cp <= 0x2757) ||
  (cp >= 0x2795 && cp <= 0x2797);

/** Columns a string takes in a terminal (close enough for emoji; exact for ASCII). */
export const displayWidth = (text: string): number => {
  let width = 0;
  const cps = [...text].map((c) => c.codePointAt(0) ?? 0);
  for (const [i, cp] of cps.entries()) {
    if (ZERO_WIDTH.has(cp) || (cp >= 0x300 && cp <= 0x36f)) continue;
    // A narrow symbol followed by VS16 (⚙️, ⚠️) is drawn as an emoji, two columns.
    width += isWide(cp) || cps[i + 1] === 0xfe0f ? 2 : 1;
  }
  return width;
};

const padEnd = (text: string, width: number): string =>
  text + ' '.repeat(Math.max(0, width - displayWidth(text)));

/**
 * Breaks one line into pieces of at most `width` columns, at spaces where it can; the pieces after
 * the first keep the line's own indentation.
 */
export const wrapLine = (line: string, width: number): string[] => {
  const max = Math.max(10, width);
  if (displayWidth(line) <= max) return [line];
  const lead = /^ */.exec(line)?.[0] ?? '';
  if (lead !== '' && lead.length < max / 2) {
    const [first = '', ...rest] = wrapLine(line.slice(lead.length), max - lead.length);
    return [lead + first, ...rest.map((l) => lead + l)];
  }
  const out: string[] = [];
  let current = '';
  for (const word of line.split(/(?<= )/)) {
    if (displayWidth(current + word.trimEnd()) <= max) {
      current += word;
      continue;
    }
    if (current.trim() !== '') out.push(current.trimEnd());
    current = '';
    let rest = word;
    // A word longer than the line is cut where it must.
    while (displayWidth(rest.trimEnd()) > max) {
      let piece = '';
      for (const ch of rest) {
        if (displayWidth(piece + ch) > max) break;
        piece += ch;
      }
      out.push(piece);
      rest = rest.slice(piece.length);
    }
    current = rest;
  }
  if (current.trim() !== '' || out.length === 0) out.push(current.trimEnd());
  return out;
};

const wrapText = (text: string, width: number): string[] =>
  text.split('\n').flatMap((line) => wrapLine(line, width));

/** `[✅]`, `[⏳ 2]`: a message's reactions as Slack shows them under it. */
export const reactionsTag = (reactions: ThreadMessage['reactions']): string =>
  reactions && reactions.length > 0
    ? `[${reactions.map((r) => `${emoji(r.name)}${r.count > 1 ? ` ${r.count}` : ''}`).join(' ')}]`
    : '';

const authorOf = (m: ThreadMessage, names: Names): string =>
  (m.user ? names.users[m.user] : undefined) ?? (m.bot_id ? 'Backchannel' : (m.user ?? 'someone'));

/**
 * One thread, root first, as a user reads it in Slack: author and text, reactions at the right of
 * the message's first line.
 * ```
 * #general
 * ┌ Alice: @Backchannel what is a backchannel?        [✅]
 * │ Backchannel: A backchannel is …
 * └ Alice: and why would I use one?
 * ```
 */
export const renderThread = (
  channelId: string,
  messages: readonly ThreadMessage[],
  names: Names,
  opts: RenderOptions = {},
): string => {
  const width = opts.width ?? 100;
  const lines = [`#${names.channels[channelId] ?? channelId}`];
  messages.forEach((m, i) => {
    const only = messages.length === 1;
    const last = i === messages.length - 1;
    const marker = only ? '─' : i === 0 ? '┌' : last ? '└' : '│';
    const gutter = only || last ? ' ' : '│';
    const tag = reactionsTag(m.reactions);
    const shown = quoteBars(stripEmphasis(slackText(messageText(m), names))).trim();
    const body = `${authorOf(m, names)}: ${shown}`;
    const room = width - 2;
    const [first = '', ...rest] = wrapText(body, room);
    // Leave the reactions room on the first line: re-wrap it narrower when it is too long.
    let head = first;
    let tail = rest;
    if (tag && displayWidth(first) + displayWidth(tag) + 2 > room) {
      const narrowed = wrapLine(first, room - displayWidth(tag) - 2);
      head = narrowed[0] ?? '';
      tail = [...wrapText(narrowed.slice(1).join(' '), room - 2), ...rest];
    }
    lines.push(tag ? `${marker} ${padEnd(head, room - displayWidth(tag))}${tag}` : `${marker} ${head}`);
    for (const line of tail) lines.push(`${gutter}   ${line}`.trimEnd());
    if (hasFeedbackButtons(m)) lines.push(`${gutter}   [👍] [👎]`);
  });
  return lines.join('\n');
};

/** Whether a message ends with Slack's 👍/👎 feedback buttons (a `context_actions` block). */
const hasFeedbackButtons = (m: Pick<ThreadMessage, 'blocks'>): boolean =>
  (m.blocks ?? []).some((b) => isObject(b) && b.type === 'context_actions');

/** The text of a Block Kit text object: mrkdwn read like Slack shows it, plain_text as is. */
const textObject = (v: unknown, names: Names): string => {
  if (!isObject(v) || typeof v.text !== 'string') return '';
  return v.type === 'mrkdwn' ? quoteBars(stripEmphasis(slackText(v.text, names))) : slackText(v.text, names);
};

const elementText = (el: unknown, names: Names): string => {
  if (!isObject(el)) return '';
  if (el.type === 'button') return `[${textObject(el.text, names)}]`;
  if (el.type === 'image') return typeof el.alt_text === 'string' ? `[${el.alt_text}]` : '[image]';
  if (el.type === 'static_select' || el.type === 'overflow') {
    const placeholder = textObject(el.placeholder, names);
    return `[${placeholder || 'Choose'} ▾]`;
  }
  return textObject(el, names);
};

/** Rich text (`rich_text` blocks): its text runs, users and links, flattened. */
const richText = (v: unknown, names: Names): string => {
  if (Array.isArray(v)) return v.map((x) => richText(x, names)).join('');
  if (!isObject(v)) return '';
  if (v.type === 'user' && typeof v.user_id === 'string') return `@${names.users[v.user_id] ?? v.user_id}`;
  if (v.type === 'emoji' && typeof v.name === 'string') return emoji(v.name);
  if (typeof v.text === 'string') return v.text;
  if (v.type === 'rich_text_section' || v.type === 'rich_text_preformatted')
    return `${richText(v.elements, names)}\n`;
  return richText(v.elements, names);
};

/** One block as lines of text (unwrapped); an unknown block type is named, not dropped. */
const blockLines = (block: unknown, names: Names, rule: string): string[] => {
  if (!isObject(block)) return [];
  switch (block.type) {
    case 'header': {
      const text = textObject(block.text, names);
      return [text, '═'.repeat(Math.min(displayWidth(text), rule.length))];
    }
    case 'section': {
      const parts = [textObject(block.text, names)];
      if (Array.isArray(block.fields)) parts.push(...block.fields.map((f) => textObject(f, names)));
      const lines = parts.filter((p) => p !== '').flatMap((p) => p.split('\n'));
      if (block.accessory !== undefined) {
        const accessory = elementText(block.accessory, names);
        if (accessory) lines.push(`  ${accessory}`);
      }
      return lines;
    }
    case 'context': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      return elements
        .map((el) => elementText(el, names))
        .filter((t) => t !== '')
        .join(' · ')
        .split('\n')
        .map((l) => `  ${l}`);
    }
    case 'actions': {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      return [elements.map((el) => elementText(el, names)).join(' ')];
    }
    case 'divider':
      return [rule];
    case 'markdown':
      return typeof block.text === 'string' ? slackText(block.text, names).split('\n') : [];
    case 'rich_text':
      return richText(block.elements, names).replace(/\n$/, '').split('\n');
    case 'image':
      return [`[image: ${typeof block.alt_text === 'string' ? block.alt_text : ''}]`];
    case 'input':
      return [`${textObject(block.label, names)}: [________]`];
    default:
      return [`[${String(block.type)} block]`];
  }
};

/**
 * A Home tab or modal in a frame, its title on top: headers underlined, context lines indented,
 * buttons as `[View result]`, dividers as rules.
 */
export const renderView = (view: ViewLike, names: Names, opts: RenderOptions = {}): string => {
  const width = Math.max(30, opts.width ?? 100);
  const inner = width - 4;
  const title =
    view.type === 'home'
      ? 'Home'
      : (textField(view.title) ?? (typeof view.type === 'string' ? view.type : ''));
  const rule = '─'.repeat(inner);
  const body: string[] = [];
  for (const [i, block] of (view.blocks ?? []).entries()) {
    const lines = blockLines(block, names, rule);
    // A little air before each header and after each row of buttons, as Slack's spacing gives.
    if (isObject(block) && block.type === 'header' && i > 0) body.push('');
    body.push(...lines.flatMap((l) => wrapLine(l, inner)));
  }
  const close = textField(view.close);
  if (view.type === 'modal' && close) body.push('', `[${close}]`);
  const top = `╭─ ${title} ${'─'.repeat(Math.max(0, inner - displayWidth(title) - 1))}╮`;
  return [top, ...body.map((l) => `│ ${padEnd(l, inner)} │`), `╰${'─'.repeat(inner + 2)}╯`].join('\n');
};
