import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/out/views/actions.js';
import { BLOCKS_PER_SESSION, sessionButtons, sessionRow } from '../../../src/out/views/session-row.js';
import { groupSessions } from '../../../src/out/views/sessions.js';
import { manySessions, NOW, record } from './fixtures.js';

const labels = (buttons: types.Button[]) => buttons.map((b) => b.text.text);

describe('a session row', () => {
  it('is always the same number of blocks, whatever the state', () => {
    for (const session of groupSessions(manySessions(12)))
      expect(sessionRow(session, { now: NOW })).toHaveLength(BLOCKS_PER_SESSION);
  });

  it('offers the buttons the newest request’s state needs, in order', () => {
    const [queued] = groupSessions([record({ state: 'queued' })]);
    const [failed] = groupSessions([record({ state: 'failed' })]);
    const [unread] = groupSessions([record({ state: 'done', unread: true })]);
    expect(labels(sessionButtons(queued!, {}))).toEqual(['Open thread', 'Cancel']);
    expect(labels(sessionButtons(failed!, {}))).toEqual(['Open thread', 'Retry']);
    expect(labels(sessionButtons(unread!, {}))).toEqual(['Open thread', 'View result', 'Mark read']);
  });

  it('links Open thread only to a safe https permalink', () => {
    const r = record();
    const [session] = groupSessions([r]);
    const open = (link: string) =>
      sessionButtons(session!, { permalinks: { [r.id]: link } }).find(
        (b) => b.action_id === ACTION_IDS.openThread,
      );
    expect(open('https://acme.slack.com/archives/C1/p1')?.url).toBe('https://acme.slack.com/archives/C1/p1');
    expect(open('javascript:alert(1)')?.url).toBeUndefined();
  });
});
