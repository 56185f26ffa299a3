import { isObject } from '../http.js';

/**
 * Slack's Block Kit limits, checked as Slack checks them: each broken one is a Slack-style message
 * ("must be less than 3001 characters [json-pointer:/blocks/0/text/text]"). The stand-in refuses
 * calls with these; tests of the bot's view and message builders call `blockKitErrors` directly.
 * The numbers are Slack's (Block Kit reference, https://docs.slack.dev/reference/block-kit), kept
 * apart from the bot's own constants so that a wrong constant in the bot cannot pass its own check.
 */

export const MAX_MESSAGE_BLOCKS = 50;
export const MAX_VIEW_BLOCKS = 100;
const MAX_SECTION_TEXT = 3000;
const MAX_SECTION_FIELDS = 10;
const MAX_SECTION_FIELD_TEXT = 2000;
const MAX_HEADER_TEXT = 150;
/** Per `markdown` block, and cumulative over all of one payload's markdown blocks. */
const MAX_MARKDOWN_TOTAL = 12_000;
const MAX_CONTEXT_ELEMENTS = 10;
const MAX_CONTEXT_TEXT = 3000;
const MAX_ACTIONS_ELEMENTS = 25;
const MAX_BLOCK_ID = 255;
const MAX_ACTION_ID = 255;
const MAX_BUTTON_TEXT = 75;
const MAX_BUTTON_VALUE = 2000;
const MAX_BUTTON_URL = 3000;
/** `context_actions`: feedback buttons and icon buttons, at most 5. */
const MAX_CONTEXT_ACTIONS_ELEMENTS = 5;
const CONTEXT_ACTIONS_ELEMENTS = ['feedback_buttons', 'icon_button'];
const MAX_ACCESSIBILITY_LABEL = 75;
const MAX_INPUT_LABEL = 2000;
/** `plain_text_input`: `max_length` and any value at most 3,000. */
const MAX_PLAIN_TEXT_INPUT = 3000;
const MAX_VIEW_TITLE = 24;
const MAX_PRIVATE_METADATA = 3000;
const MAX_VIEW_BYTES = 250_000;
/** `table`: 100 rows of 20 cells, 20 column settings, one table and 10,000 characters of cells a message. */
const MAX_TABLE_ROWS = 100;
const MAX_TABLE_CELLS = 20;
const MAX_TABLE_CELL_TEXT = 10_000;
const TABLE_ALIGN = ['left', 'center', 'right'];
/** Slack publishes no number: in practice messages past about 13,000 characters of block text get `msg_blocks_too_long`. */
export const DEFAULT_BLOCKS_TEXT_LIMIT = 13_000;

const tooLong = (max: number, at: string) => `must be less than ${max + 1} characters [json-pointer:${at}]`;
const tooMany = (max: number, at: string) => `no more than ${max} items allowed [json-pointer:${at}]`;
const textOf = (v: unknown): string => (isObject(v) && typeof v.text === 'string' ? v.text : '');

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  path: string;
}

/** Every text object (`plain_text` and `mrkdwn`) anywhere in the JSON, with its path. */
export const textObjects = (root: unknown, path = '$'): TextObject[] => {
  const found: TextObject[] = [];
  const visit = (node: unknown, at: string): void => {
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

/** Sum of every `text` string inside the blocks, the measure behind `msg_blocks_too_long`. */
export const blockTextLength = (v: unknown): number => {
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + blockTextLength(x), 0);
  if (!isObject(v)) return 0;
  let n = 0;
  for (const [k, x] of Object.entries(v))
    n += k === 'text' && typeof x === 'string' ? x.length : blockTextLength(x);
  return n;
};

/** Buttons (in an actions block or as a section's accessory): label, ids, value and url. */
const buttonErrors = (elements: unknown[], at: string, errors: string[]): void => {
  const ids = new Set<string>();
  elements.forEach((el, i) => {
    if (!isObject(el) || el.type !== 'button') return;
    const where = `${at}/${i}`;
    if (!isObject(el.text)) errors.push(`missing required field: text [json-pointer:${where}]`);
    else if (textOf(el.text).length > MAX_BUTTON_TEXT)
      errors.push(tooLong(MAX_BUTTON_TEXT, `${where}/text/text`));
    if (typeof el.action_id === 'string') {
      if (el.action_id.length > MAX_ACTION_ID) errors.push(tooLong(MAX_ACTION_ID, `${where}/action_id`));
      if (ids.has(el.action_id)) errors.push(`action_id must be unique in the block [json-pointer:${where}]`);
      ids.add(el.action_id);
    }
    if (typeof el.value === 'string' && el.value.length > MAX_BUTTON_VALUE)
      errors.push(tooLong(MAX_BUTTON_VALUE, `${where}/value`));
    if (typeof el.url === 'string' && el.url.length > MAX_BUTTON_URL)
      errors.push(tooLong(MAX_BUTTON_URL, `${where}/url`));
  });
};

const missing = (field: string, at: string) => `missing required field: ${field} [json-pointer:${at}]`;

/** A `plain_text` label of at most `max` characters at `at` (a button's text, an input's label). */
const plainLabelErrors = (label: unknown, max: number, at: string, field: string, errors: string[]): void => {
  if (!isObject(label)) errors.push(missing(field, at));
  else if (label.type !== 'plain_text') errors.push(`must be plain_text [json-pointer:${at}/${field}/type]`);
  else if (textOf(label).length > max) errors.push(tooLong(max, `${at}/${field}/text`));
};

/** One of a feedback_buttons element's two buttons: plain_text ≤ 75, a value ≤ 2,000, a label ≤ 75. */
const feedbackButtonErrors = (button: unknown, at: string, errors: string[]): void => {
  plainLabelErrors(isObject(button) ? button.text : undefined, MAX_BUTTON_TEXT, at, 'text', errors);
  if (!isObject(button)) return;
  if (typeof button.value !== 'string') errors.push(missing('value', at));
  else if (button.value.length > MAX_BUTTON_VALUE) errors.push(tooLong(MAX_BUTTON_VALUE, `${at}/value`));
  const label = button.accessibility_label;
  if (typeof label === 'string' && label.length > MAX_ACCESSIBILITY_LABEL)
    errors.push(tooLong(MAX_ACCESSIBILITY_LABEL, `${at}/accessibility_label`));
};

/** The elements of a `context_actions` block: feedback buttons and icon buttons, at most 5. */
const contextActionsErrors = (elements: unknown[] | undefined, at: string, errors: string[]): void => {
  if (!elements?.length) errors.push(`must provide at least 1 item [json-pointer:${at}/elements]`);
  else if (elements.length > MAX_CONTEXT_ACTIONS_ELEMENTS)
    errors.push(tooMany(MAX_CONTEXT_ACTIONS_ELEMENTS, `${at}/elements`));
  const ids = new Set<string>();
  elements?.forEach((el, j) => {
    const where = `${at}/elements/${j}`;
    if (!isObject(el) || typeof el.type !== 'string' || !CONTEXT_ACTIONS_ELEMENTS.includes(el.type)) {
      errors.push(`must be one of ${CONTEXT_ACTIONS_ELEMENTS.join(', ')} [json-pointer:${where}/type]`);
      return;
    }
    if (typeof el.action_id === 'string') {
      if (el.action_id.length > MAX_ACTION_ID) errors.push(tooLong(MAX_ACTION_ID, `${where}/action_id`));
      if (ids.has(el.action_id)) errors.push(`action_id must be unique in the block [json-pointer:${where}]`);
      ids.add(el.action_id);
    }
    if (el.type === 'icon_button') {
      if (typeof el.icon !== 'string') errors.push(missing('icon', where));
      feedbackButtonErrors(el, where, errors);
      return;
    }
    for (const side of ['positive_button', 'negative_button']) {
      if (!isObject(el[side])) errors.push(missing(side, where));
      else feedbackButtonErrors(el[side], `${where}/${side}`, errors);
    }
  });
};

/** An `input` block: a plain_text label ≤ 2,000 and an element; a text input's length ≤ 3,000. */
const inputErrors = (block: Record<string, unknown>, at: string, errors: string[]): void => {
  plainLabelErrors(block.label, MAX_INPUT_LABEL, at, 'label', errors);
  const el = block.element;
  if (!isObject(el)) {
    errors.push(missing('element', at));
    return;
  }
  if (el.type !== 'plain_text_input') return;
  const max = typeof el.max_length === 'number' ? el.max_length : MAX_PLAIN_TEXT_INPUT;
  if (max > MAX_PLAIN_TEXT_INPUT)
    errors.push(`must be at most ${MAX_PLAIN_TEXT_INPUT} [json-pointer:${at}/element/max_length]`);
  if (typeof el.initial_value === 'string' && el.initial_value.length > max)
    errors.push(tooLong(max, `${at}/element/initial_value`));
};

/** A `table` block's rows, cells and column settings; returns the characters of its cells. */
const tableErrors = (block: Record<string, unknown>, at: string, errors: string[]): number => {
  const rows = Array.isArray(block.rows) ? block.rows : undefined;
  if (!rows?.length) errors.push(`must provide at least 1 item [json-pointer:${at}/rows]`);
  else if (rows.length > MAX_TABLE_ROWS) errors.push(tooMany(MAX_TABLE_ROWS, `${at}/rows`));
  let chars = 0;
  rows?.forEach((row, i) => {
    if (!Array.isArray(row) || row.length === 0) {
      errors.push(`must provide at least 1 item [json-pointer:${at}/rows/${i}]`);
      return;
    }
    if (row.length > MAX_TABLE_CELLS) errors.push(tooMany(MAX_TABLE_CELLS, `${at}/rows/${i}`));
    row.forEach((cell, j) => {
      const where = `${at}/rows/${i}/${j}`;
      if (!isObject(cell) || (cell.type !== 'raw_text' && cell.type !== 'rich_text'))
        errors.push(`must be one of raw_text, rich_text [json-pointer:${where}/type]`);
      else if (cell.type === 'raw_text') {
        if (typeof cell.text !== 'string' || cell.text.length === 0)
          errors.push(`must be more than 0 characters [json-pointer:${where}/text]`);
        else chars += cell.text.length;
      }
    });
  });
  const settings = block.column_settings;
  if (settings !== undefined) {
    if (!Array.isArray(settings)) errors.push(`must be an array [json-pointer:${at}/column_settings]`);
    else {
      if (settings.length > MAX_TABLE_CELLS) errors.push(tooMany(MAX_TABLE_CELLS, `${at}/column_settings`));
      settings.forEach((c, j) => {
        if (!isObject(c)) errors.push(`must provide an object [json-pointer:${at}/column_settings/${j}]`);
        else if (c.align !== undefined && !TABLE_ALIGN.includes(String(c.align)))
          errors.push(
            `must be one of ${TABLE_ALIGN.join(', ')} [json-pointer:${at}/column_settings/${j}/align]`,
          );
      });
    }
  }
  return chars;
};

/** The checks of one block; returns the characters of markdown it holds. */
const checkBlock = (block: Record<string, unknown>, at: string, errors: string[]): number => {
  if (typeof block.block_id === 'string' && block.block_id.length > MAX_BLOCK_ID)
    errors.push(tooLong(MAX_BLOCK_ID, `${at}/block_id`));
  const elements = Array.isArray(block.elements) ? block.elements : undefined;
  switch (block.type) {
    case 'section': {
      const fields = Array.isArray(block.fields) ? block.fields : undefined;
      if (block.text === undefined && !fields)
        errors.push(`must provide either text or fields [json-pointer:${at}]`);
      if (textOf(block.text).length > MAX_SECTION_TEXT)
        errors.push(tooLong(MAX_SECTION_TEXT, `${at}/text/text`));
      if (fields && fields.length > MAX_SECTION_FIELDS)
        errors.push(tooMany(MAX_SECTION_FIELDS, `${at}/fields`));
      fields?.forEach((f, j) => {
        if (textOf(f).length > MAX_SECTION_FIELD_TEXT)
          errors.push(tooLong(MAX_SECTION_FIELD_TEXT, `${at}/fields/${j}/text`));
      });
      if (block.accessory !== undefined) buttonErrors([block.accessory], `${at}/accessory`, errors);
      return 0;
    }
    case 'header':
      if (isObject(block.text) && block.text.type !== 'plain_text')
        errors.push(`must be plain_text [json-pointer:${at}/text/type]`);
      if (textOf(block.text).length > MAX_HEADER_TEXT)
        errors.push(tooLong(MAX_HEADER_TEXT, `${at}/text/text`));
      return 0;
    case 'markdown': {
      const text = typeof block.text === 'string' ? block.text : '';
      if (text.length > MAX_MARKDOWN_TOTAL) errors.push(tooLong(MAX_MARKDOWN_TOTAL, `${at}/text`));
      return text.length;
    }
    case 'context':
      if (!elements?.length) errors.push(`must provide at least 1 item [json-pointer:${at}/elements]`);
      else if (elements.length > MAX_CONTEXT_ELEMENTS)
        errors.push(tooMany(MAX_CONTEXT_ELEMENTS, `${at}/elements`));
      elements?.forEach((el, j) => {
        if (textOf(el).length > MAX_CONTEXT_TEXT)
          errors.push(tooLong(MAX_CONTEXT_TEXT, `${at}/elements/${j}/text`));
      });
      return 0;
    case 'actions':
      if (!elements?.length) errors.push(`must provide at least 1 item [json-pointer:${at}/elements]`);
      else if (elements.length > MAX_ACTIONS_ELEMENTS)
        errors.push(tooMany(MAX_ACTIONS_ELEMENTS, `${at}/elements`));
      if (elements) buttonErrors(elements, `${at}/elements`, errors);
      return 0;
    case 'context_actions':
      contextActionsErrors(elements, at, errors);
      return 0;
    case 'input':
      inputErrors(block, at, errors);
      return 0;
    default:
      return 0;
  }
};

/** The limits of a list of blocks (a message's, or a view's with `maxBlocks` 100); empty when valid. */
export const blockErrors = (blocks: unknown[], maxBlocks: number): string[] => {
  const errors: string[] = [];
  if (blocks.length > maxBlocks) errors.push(tooMany(maxBlocks, '/blocks'));
  let markdownTotal = 0;
  let tables = 0;
  let tableChars = 0;
  blocks.forEach((block, i) => {
    const at = `/blocks/${i}`;
    if (!isObject(block) || typeof block.type !== 'string') {
      errors.push(`missing required field: type [json-pointer:${at}]`);
      return;
    }
    if (block.type === 'table') {
      tables += 1;
      tableChars += tableErrors(block, at, errors);
    } else markdownTotal += checkBlock(block, at, errors);
  });
  // Slack answers a second table with `invalid_attachments` (`only_one_table_allowed`).
  if (tables > 1) errors.push('only_one_table_allowed [json-pointer:/blocks]');
  if (tableChars > MAX_TABLE_CELL_TEXT)
    errors.push(`table cells exceed ${MAX_TABLE_CELL_TEXT} characters in total [json-pointer:/blocks]`);
  // Text objects may not be empty (a blank label or section text is refused).
  for (const t of textObjects(blocks, ''))
    if (t.text.length === 0)
      errors.push(`must be more than 0 characters [json-pointer:/blocks${pointer(t.path)}/text]`);
  if (markdownTotal > MAX_MARKDOWN_TOTAL && errors.length === 0)
    errors.push(`markdown blocks exceed ${MAX_MARKDOWN_TOTAL} characters in total [json-pointer:/blocks]`);
  return errors;
};

/** `[0].text` → `/0/text`. */
const pointer = (path: string): string => path.replace(/\[(\d+)\]/g, '/$1').replace(/\./g, '/');

/** A view's own limits (title, close and submit labels, private_metadata, size); blocks aside. */
export const viewErrors = (view: Record<string, unknown>): string[] => {
  const errors: string[] = [];
  for (const key of ['title', 'close', 'submit']) {
    const label = view[key];
    if (label === undefined) continue;
    const text = textOf(label);
    if (text.length === 0) errors.push(`must be more than 0 characters [json-pointer:/view/${key}/text]`);
    if (text.length > MAX_VIEW_TITLE) errors.push(tooLong(MAX_VIEW_TITLE, `/view/${key}/text`));
  }
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > MAX_PRIVATE_METADATA)
    errors.push(tooLong(MAX_PRIVATE_METADATA, '/view/private_metadata'));
  const bytes = Buffer.byteLength(JSON.stringify(view));
  if (bytes > MAX_VIEW_BYTES)
    errors.push(`view is ${bytes} bytes, over ${MAX_VIEW_BYTES} [json-pointer:/view]`);
  return errors;
};

/**
 * Every Block Kit limit a message (`{ blocks }`) or a Home tab or modal (`{ type: 'home' | 'modal', … }`)
 * breaks, as the stand-in would refuse it: `expect(blockKitErrors(view)).toEqual([])`.
 */
export const blockKitErrors = (surface: { blocks: unknown[]; type?: string }): string[] => {
  const isView = surface.type === 'home' || surface.type === 'modal';
  if (isView)
    return [
      ...viewErrors(surface),
      ...blockErrors(surface.blocks, MAX_VIEW_BLOCKS).map((e) =>
        e.replace('json-pointer:/', 'json-pointer:/view/'),
      ),
    ];
  const errors = blockErrors(surface.blocks, MAX_MESSAGE_BLOCKS);
  const chars = blockTextLength(surface.blocks);
  if (chars > DEFAULT_BLOCKS_TEXT_LIMIT)
    errors.push(`msg_blocks_too_long: ${chars} characters of block text, over ${DEFAULT_BLOCKS_TEXT_LIMIT}`);
  return errors;
};
