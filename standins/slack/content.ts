import { isObject } from '../http.js';
import {
  blockErrors,
  blockTextLength,
  DEFAULT_BLOCKS_TEXT_LIMIT,
  MAX_MESSAGE_BLOCKS,
  MAX_VIEW_BLOCKS,
  viewErrors,
} from './block-kit.js';
import { asString, fail } from './params.js';
import type { MessageMetadata, Params } from './types.js';

/** What a message-like call carries (text, blocks, metadata, stream chunks, views), refused as Slack refuses it. */

/** `text` of one message (Slack truncates past 40,000; the stand-in refuses, so a test sees it). */
const MAX_TEXT = 40_000;
/** `markdown_text` per payload (messages and stream chunks). */
const MAX_MARKDOWN_TEXT = 12_000;

/** The blocks of a message: 50 at most, each within its limits, and Slack's cap on their text. */
export const messageBlocks = (p: Params, blocksTextLimit: number | undefined): unknown[] | undefined => {
  const v = p.blocks;
  if (v === undefined || v === '') return undefined;
  if (!Array.isArray(v)) throw fail('invalid_blocks_format');
  const errors = blockErrors(v, MAX_MESSAGE_BLOCKS);
  if (errors.length) throw fail('invalid_blocks', errors);
  if (blockTextLength(v) > (blocksTextLimit ?? DEFAULT_BLOCKS_TEXT_LIMIT)) throw fail('msg_blocks_too_long');
  return v;
};

export const metadataParam = (p: Params): MessageMetadata | undefined => {
  const v = p.metadata;
  if (v === undefined || v === '') return undefined;
  if (!isObject(v)) throw fail('invalid_metadata_format');
  if (typeof v.event_type !== 'string' || !isObject(v.event_payload)) throw fail('invalid_metadata_schema');
  return { event_type: v.event_type, event_payload: v.event_payload };
};

/** Text, blocks and metadata of a message-like call, validated as chat.postMessage does. */
export const messageContent = (p: Params, requireSomething: boolean, blocksTextLimit: number | undefined) => {
  const text = asString(p.text);
  const markdown = asString(p.markdown_text);
  const blocks = messageBlocks(p, blocksTextLimit);
  const metadata = metadataParam(p);
  if (requireSomething && !text && !markdown && !blocks && p.attachments === undefined) throw fail('no_text');
  if (text && text.length > MAX_TEXT) throw fail('msg_too_long');
  if (markdown && markdown.length > MAX_MARKDOWN_TEXT) throw fail('msg_too_long');
  return { text: text ?? markdown, blocks, metadata };
};

/** A stream call's `markdown_text` and `chunks`, and the text they add. */
export const markdownChunks = (p: Params): { text: string; chunks: unknown[] } => {
  let text = asString(p.markdown_text) ?? '';
  if (text.length > MAX_MARKDOWN_TEXT) throw fail('msg_too_long');
  const chunks = p.chunks;
  if (chunks === undefined || chunks === '') return { text, chunks: [] };
  if (!Array.isArray(chunks)) throw fail('invalid_chunks');
  for (const c of chunks) {
    if (!isObject(c) || typeof c.type !== 'string') throw fail('invalid_chunks');
    if (c.type === 'markdown_text') {
      if (typeof c.text !== 'string') throw fail('invalid_chunks');
      if (c.text.length > MAX_MARKDOWN_TEXT) throw fail('msg_too_long');
      text += c.text;
    }
  }
  return { text, chunks };
};

/** The `view` of views.publish / open / update, of one of `types`, within Slack's limits. */
export const viewParam = (p: Params, types: string[]): Record<string, unknown> => {
  const v = p.view;
  if (v === undefined || v === '') throw fail('invalid_arguments', ['missing required field: view']);
  if (!isObject(v)) throw fail('invalid_arguments', ['view must be a JSON object']);
  if (typeof v.type !== 'string' || !types.includes(v.type))
    throw fail('invalid_arguments', [`must be one of ${types.join(', ')} [json-pointer:/view/type]`]);
  const blocks = v.blocks ?? [];
  if (!Array.isArray(blocks))
    throw fail('invalid_arguments', ['must be an array [json-pointer:/view/blocks]']);
  const errors = blockErrors(blocks, MAX_VIEW_BLOCKS);
  if (errors.length)
    throw fail(
      'invalid_blocks',
      errors.map((e) => e.replace('json-pointer:/', 'json-pointer:/view/')),
    );
  const own = viewErrors(v);
  if (own.length) throw fail('invalid_arguments', own);
  return v;
};
