import { SLACK_LIMITS } from '../../../src/slack/views/escape.js';

/**
 * Walks Block Kit JSON and lists every broken Slack limit, so a test can say
 * `expect(limitViolations(view)).toEqual([])` and see what broke.
 */

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  path: string;
}

/** Every text object (`plain_text` and `mrkdwn`) anywhere in the JSON, with its path. */
export const textObjects = (root: Json, path = '$'): TextObject[] => {
  const found: TextObject[] = [];
  const visit = (node: Json, at: string): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        visit(child, `${at}[${i}]`);
      });
      return;
    }
    if (!isObject(node)) return;
    if ((node.type === 'plain_text' || node.type === 'mrkdwn') && typeof node.text === 'string') {
      found.push({ type: node.type, text: node.text, path: at });
    }
    for (const [key, child] of Object.entries(node)) visit(child, `${at}.${key}`);
  };
  visit(root, path);
  return found;
};

/** Every string value anywhere in the JSON (text, values, urls, metadata). */
export const allStrings = (root: Json): string[] => {
  const out: string[] = [];
  const visit = (node: Json): void => {
    if (typeof node === 'string') out.push(node);
    else if (Array.isArray(node)) for (const child of node) visit(child);
    else if (isObject(node)) for (const child of Object.values(node)) visit(child);
  };
  visit(root);
  return out;
};

const bytes = (v: Json): number => new TextEncoder().encode(JSON.stringify(v)).length;

const blockViolations = (block: Json, at: string): string[] => {
  const v: string[] = [];
  if (!isObject(block)) return [`${at}: not an object`];
  const text = block.text;
  if (block.type === 'header' && isObject(text) && typeof text.text === 'string') {
    if (text.type !== 'plain_text') v.push(`${at}: header text must be plain_text`);
    if (text.text.length > SLACK_LIMITS.headerChars) v.push(`${at}: header ${text.text.length} chars`);
  }
  if (block.type === 'section' && !isObject(text) && !Array.isArray(block.fields))
    v.push(`${at}: empty section`);
  if (block.type === 'context') {
    const els = block.elements;
    if (!Array.isArray(els) || els.length === 0 || els.length > SLACK_LIMITS.contextElements) {
      v.push(`${at}: context with ${Array.isArray(els) ? els.length : 0} elements`);
    }
  }
  const elements = block.type === 'actions' ? block.elements : block.accessory ? [block.accessory] : [];
  if (block.type === 'actions') {
    if (!Array.isArray(elements) || elements.length === 0 || elements.length > SLACK_LIMITS.actionsElements) {
      v.push(`${at}: actions with ${Array.isArray(elements) ? elements.length : 0} elements`);
    }
  }
  const ids = new Set<string>();
  if (Array.isArray(elements)) {
    elements.forEach((el, i) => {
      if (!isObject(el) || el.type !== 'button') return;
      const where = `${at}.elements[${i}]`;
      const label = isObject(el.text) ? el.text.text : undefined;
      if (typeof label !== 'string' || label.length > SLACK_LIMITS.buttonTextChars) {
        v.push(`${where}: button text ${String(label)}`);
      }
      if (typeof el.action_id !== 'string' || el.action_id.length > 255) v.push(`${where}: action_id`);
      else if (ids.has(el.action_id)) v.push(`${where}: duplicate action_id ${el.action_id} in block`);
      else ids.add(el.action_id);
      if (typeof el.value === 'string' && el.value.length > SLACK_LIMITS.buttonValueChars) {
        v.push(`${where}: value ${el.value.length} chars`);
      }
      if (typeof el.url === 'string' && el.url.length > SLACK_LIMITS.buttonUrlChars) {
        v.push(`${where}: url ${el.url.length} chars`);
      }
    });
  }
  return v;
};

/**
 * Slack's limits for a Home tab or modal (`maxBlocks` 100, 250 kB) or a message (`maxBlocks` 50,
 * about 13,000 characters of block text).
 */
export const limitViolations = (
  surface: { blocks: Json[]; type?: string; title?: Json; close?: Json; private_metadata?: string },
  maxBlocks: number,
): string[] => {
  const v: string[] = [];
  if (surface.blocks.length > maxBlocks) v.push(`${surface.blocks.length} blocks > ${maxBlocks}`);
  surface.blocks.forEach((block, i) => {
    v.push(...blockViolations(block, `blocks[${i}]`));
  });
  for (const t of textObjects(surface.blocks, 'blocks')) {
    if (t.text.length === 0) v.push(`${t.path}: empty text`);
    if (t.text.length > SLACK_LIMITS.textChars) v.push(`${t.path}: ${t.text.length} chars`);
  }
  for (const key of ['title', 'close'] as const) {
    const obj = surface[key];
    if (obj !== undefined) {
      const text = isObject(obj) ? obj.text : undefined;
      if (typeof text !== 'string' || text.length === 0 || text.length > SLACK_LIMITS.modalTitleChars) {
        v.push(`${key}: ${String(text)}`);
      }
    }
  }
  if ((surface.private_metadata?.length ?? 0) > SLACK_LIMITS.privateMetadataChars) v.push('private_metadata');
  if (surface.type === 'home' || surface.type === 'modal') {
    const size = bytes(surface);
    if (size > SLACK_LIMITS.viewBytes) v.push(`view is ${size} bytes`);
  } else {
    const chars = textObjects(surface.blocks).reduce((n, t) => n + t.text.length, 0);
    if (chars > SLACK_LIMITS.messageBlockTextChars) v.push(`message block text ${chars} chars`);
  }
  return v;
};

// What hostile text must never turn into in our views: pings, links, mentions.
const DANGEROUS = [/<!channel/i, /<!here/i, /<!everyone/i, /<!subteam/i, /<@[UW]/i, /<https?:/i, /<mailto:/i];
const BARE_BROADCAST = /(^|[^\w@\u2060])@(channel|here|everyone)\b/i;

/**
 * Strings in the JSON that could ping or link: special mentions, user mentions, `<http…>` links
 * and bare `@here`. `allow` lists our own markup (e.g. `<#C0123ABC>`, `<@UBOT>`).
 */
export const dangerousStrings = (root: Json, allow: readonly string[] = []): string[] =>
  allStrings(root).filter((s) => {
    const stripped = allow.reduce((acc, ok) => acc.replaceAll(ok, ''), s);
    return DANGEROUS.some((re) => re.test(stripped)) || BARE_BROADCAST.test(stripped);
  });

/** mrkdwn texts with a raw `<` that is not one of the allowed pieces of our own markup. */
export const rawAnglesInMrkdwn = (root: Json, allow: readonly string[] = []): string[] =>
  textObjects(root)
    .filter((t) => t.type === 'mrkdwn')
    .map((t) => allow.reduce((acc, ok) => acc.replaceAll(ok, ''), t.text))
    .filter((text) => text.includes('<') || text.includes('>'));
