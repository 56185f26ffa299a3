import type { types } from '@slack/bolt';
import { ACTION_IDS, actionButton } from './actions.js';
import { mrkdwn } from './escape.js';
import type { Block } from './session-row.js';

export interface Page<T> {
  items: T[];
  /** 0-based index of this page, after clamping. */
  index: number;
  /** Number of pages (at least 1). */
  count: number;
  /** Index of the first item of this page in the whole list. */
  start: number;
  total: number;
}

/** A page of `perPage` items; a requested index out of range (stale button) shows the nearest page. */
export const paginate = <T>(items: readonly T[], perPage: number, requested = 0): Page<T> => {
  const count = Math.max(1, Math.ceil(items.length / perPage));
  const index = Math.min(Math.max(0, Number.isFinite(requested) ? Math.floor(requested) : 0), count - 1);
  const start = index * perPage;
  return { items: items.slice(start, start + perPage), index, count, start, total: items.length };
};

/** "Sessions 24–46 of 500" and the Newer / Older buttons; nothing when everything fits one page. */
export const pagingBlocks = (page: Page<unknown>, note = ''): Block[] => {
  if (page.count <= 1) return [];
  const first = page.start + 1;
  const last = page.start + page.items.length;
  const buttons: types.Button[] = [];
  if (page.index > 0) buttons.push(actionButton(ACTION_IDS.newer, '← Newer sessions', page.index - 1));
  if (page.index < page.count - 1)
    buttons.push(actionButton(ACTION_IDS.older, 'Older sessions →', page.index + 1));
  return [
    { type: 'context', elements: [mrkdwn(`Sessions ${first}–${last} of ${page.total}${note}`)] },
    { type: 'actions', elements: buttons },
  ];
};
