import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/out/views/actions.js';
import { paginate, pagingBlocks } from '../../../src/out/views/paging.js';

const buttonsOf = (blocks: ReturnType<typeof pagingBlocks>) =>
  blocks.flatMap((b) => (b.type === 'actions' ? (b.elements as types.Button[]) : []));

describe('paging', () => {
  it('paginates any list', () => {
    expect(paginate([1, 2, 3, 4, 5], 2, 1)).toEqual({
      items: [3, 4],
      index: 1,
      count: 3,
      start: 2,
      total: 5,
    });
    expect(paginate([], 2, 5)).toEqual({ items: [], index: 0, count: 1, start: 0, total: 0 });
    expect(paginate([1], 2, Number.NaN).index).toBe(0);
  });

  it('says where the page is and offers the pages next to it, with their indexes', () => {
    const middle = pagingBlocks(paginate([1, 2, 3, 4, 5], 2, 1), ' · note');
    expect(middle[0]).toMatchObject({ type: 'context', elements: [{ text: 'Sessions 3–4 of 5 · note' }] });
    expect(buttonsOf(middle).map((b) => [b.action_id, b.value])).toEqual([
      [ACTION_IDS.newer, '0'],
      [ACTION_IDS.older, '2'],
    ]);
  });

  it('adds nothing when everything fits one page', () => {
    expect(pagingBlocks(paginate([1, 2], 2))).toEqual([]);
  });
});
