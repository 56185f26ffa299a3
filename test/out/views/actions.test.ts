import { describe, expect, it } from 'vitest';
import {
  ACTION_IDS,
  type ActionId,
  decodeActionValue,
  encodeActionValue,
  isActionId,
  REQUEST_ID_MAX_CHARS,
} from '../../../src/out/views/actions.js';

const REQUEST_ACTIONS = [
  ACTION_IDS.viewResult,
  ACTION_IDS.markRead,
  ACTION_IDS.cancel,
  ACTION_IDS.retry,
  ACTION_IDS.openThread,
] as const;
const PAGE_ACTIONS = [ACTION_IDS.older, ACTION_IDS.newer] as const;

describe('action ids', () => {
  it('are the bc_ ids the handlers register', () => {
    expect(Object.values(ACTION_IDS).sort()).toEqual([
      'bc_cancel',
      'bc_mark_read',
      'bc_newer',
      'bc_older',
      'bc_open_thread',
      'bc_retry',
      'bc_toggle_dm',
      'bc_view_result',
    ]);
  });

  it('recognises only our ids', () => {
    expect(isActionId('bc_cancel')).toBe(true);
    expect(isActionId('bc_nope')).toBe(false);
    expect(isActionId(undefined)).toBe(false);
    expect(isActionId('toString')).toBe(false);
  });
});

describe('encodeActionValue / decodeActionValue', () => {
  it.each(REQUEST_ACTIONS)('round-trips request ids for %s', (actionId) => {
    for (const id of [
      'T0001:C0123ABC:1714564801.000100',
      'T0001:cmd:13345224609.738474920.8088930838d88f008e0',
    ]) {
      const value = encodeActionValue(actionId, id);
      expect(value).toBe(id);
      expect(decodeActionValue(actionId, value)).toBe(id);
    }
  });

  it.each(PAGE_ACTIONS)('round-trips page indexes for %s', (actionId) => {
    for (const page of [0, 1, 42, 99_999]) {
      expect(decodeActionValue(actionId, encodeActionValue(actionId, page))).toBe(page);
    }
  });

  it('round-trips the DM preference', () => {
    expect(decodeActionValue(ACTION_IDS.toggleDm, encodeActionValue(ACTION_IDS.toggleDm, 'on'))).toBe('on');
    expect(decodeActionValue(ACTION_IDS.toggleDm, encodeActionValue(ACTION_IDS.toggleDm, 'off'))).toBe('off');
  });

  it.each(REQUEST_ACTIONS)('rejects garbage request ids for %s', (actionId) => {
    for (const raw of [
      undefined,
      null,
      42,
      {},
      '',
      ' ',
      'a b',
      'id\n',
      '<!channel>',
      '"quoted"',
      'x'.repeat(REQUEST_ID_MAX_CHARS + 1),
      'x'.repeat(5000),
      'héllo',
    ]) {
      expect(decodeActionValue(actionId, raw)).toBeUndefined();
    }
  });

  it.each(PAGE_ACTIONS)('rejects garbage page indexes for %s', (actionId) => {
    for (const raw of [
      undefined,
      1,
      '',
      '-1',
      '01',
      '1.5',
      '1e3',
      '0x10',
      ' 1',
      '100000',
      'NaN',
      'Infinity',
    ]) {
      expect(decodeActionValue(actionId, raw)).toBeUndefined();
    }
  });

  it('rejects anything but on and off for the DM preference', () => {
    for (const raw of ['ON', 'true', '1', '', 'on ', undefined]) {
      expect(decodeActionValue(ACTION_IDS.toggleDm, raw)).toBeUndefined();
    }
  });

  it('refuses to encode a value the action cannot carry', () => {
    expect(() => encodeActionValue(ACTION_IDS.cancel, '')).toThrow();
    expect(() => encodeActionValue(ACTION_IDS.cancel, 'has space')).toThrow();
    expect(() => encodeActionValue(ACTION_IDS.older, -1)).toThrow();
    expect(() => encodeActionValue(ACTION_IDS.older, 1.5)).toThrow();
    expect(() => encodeActionValue(ACTION_IDS.toggleDm, 'maybe' as 'on')).toThrow();
  });

  it('types each value by its action', () => {
    const page: number | undefined = decodeActionValue(ACTION_IDS.older, '3');
    const setting: 'on' | 'off' | undefined = decodeActionValue(ACTION_IDS.toggleDm, 'on');
    const id: string | undefined = decodeActionValue(ACTION_IDS.retry, 'T:C:1.2');
    expect([page, setting, id]).toEqual([3, 'on', 'T:C:1.2']);
    const any: ActionId = 'bc_view_result';
    expect(isActionId(any)).toBe(true);
  });
});
