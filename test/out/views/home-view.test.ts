import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../../src/core/request-types.js';
import { ACTION_IDS, decodeActionValue } from '../../../src/out/views/actions.js';
import { SLACK_LIMITS } from '../../../src/out/views/escape.js';
import {
  buildHomeView,
  buildSessionsMessage,
  HOME_FIXED_BLOCKS,
  HOME_SECTION_BLOCKS,
  HOME_SESSIONS_PER_PAGE,
  type HomeView,
  MESSAGE_FIXED_BLOCKS,
  MESSAGE_SESSIONS_PER_PAGE,
} from '../../../src/out/views/home-view.js';
import { BLOCKS_PER_SESSION } from '../../../src/out/views/session-row.js';
import { groupSessions, sessionKey } from '../../../src/out/views/sessions.js';
import { blockKitErrors } from '../../../standins/slack/block-kit.js';
import { CHANNEL, HOSTILE, manySessions, NOW, record } from './fixtures.js';
import { allStrings, dangerousStrings, rawAnglesInMrkdwn, textObjects } from './view-text.js';

const OUR_MARKUP = [`<#${CHANNEL}>`];

const home = (records: RequestRecord[], over: Partial<Parameters<typeof buildHomeView>[1]> = {}) =>
  buildHomeView(records, { now: NOW, dmOnResult: false, ...over });

const actionBlocks = (blocks: types.KnownBlock[]): types.ActionsBlock[] =>
  blocks.filter((b): b is types.ActionsBlock => b.type === 'actions');

/** Every button: in actions blocks and as section accessories. */
const buttons = (blocks: types.KnownBlock[]): types.Button[] =>
  blocks.flatMap((b) => {
    const elements =
      b.type === 'actions' ? b.elements : b.type === 'section' && b.accessory ? [b.accessory] : [];
    return elements.filter((e): e is types.Button => e.type === 'button');
  });

/** Button labels of the first session row (the first actions block). */
const rowButtons = (blocks: types.KnownBlock[]): string[] =>
  (actionBlocks(blocks)[0]?.elements ?? []).map((e) => (e.type === 'button' ? e.text.text : e.type));

const texts = (view: unknown): string =>
  textObjects(view)
    .map((t) => t.text)
    .join('\n');

describe('buildHomeView limits', () => {
  it('computes page sizes that leave room for the header, preference and paging', () => {
    expect(
      HOME_FIXED_BLOCKS + HOME_SECTION_BLOCKS + HOME_SESSIONS_PER_PAGE * BLOCKS_PER_SESSION,
    ).toBeLessThanOrEqual(SLACK_LIMITS.viewBlocks);
    expect(MESSAGE_FIXED_BLOCKS + MESSAGE_SESSIONS_PER_PAGE * BLOCKS_PER_SESSION).toBeLessThanOrEqual(
      SLACK_LIMITS.messageBlocks,
    );
    expect(HOME_SESSIONS_PER_PAGE).toBeGreaterThanOrEqual(15);
  });

  it('places the other sections under the header and after the sessions, within their share', () => {
    const note = (text: string) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text } });
    const top = [note('usage today')];
    const bottom = Array.from({ length: 40 }, (_, i) => note(`admin ${i}`));
    for (const n of [0, 500]) {
      const view = home(manySessions(n), { sections: { top, bottom } });
      expect(view.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.viewBlocks);
      const shown = texts(view);
      expect(shown.indexOf('usage today')).toBeLessThan(shown.indexOf('admin 0'));
      expect(shown).toContain(`admin ${HOME_SECTION_BLOCKS - 2}`);
      expect(shown).not.toContain(`admin ${HOME_SECTION_BLOCKS - 1}`);
    }
  });

  it.each([0, 1, 37, 500])('keeps every page within Slack limits with %i sessions', (n) => {
    const records = manySessions(n);
    const pages = Math.max(1, Math.ceil(n / HOME_SESSIONS_PER_PAGE));
    for (let page = 0; page < pages; page++) {
      const view = home(records, { page, dmOnResult: page % 2 === 0 });
      expect(view.blocks.length).toBeLessThanOrEqual(100);
      expect(blockKitErrors(view)).toEqual([]);
    }
  });

  it('stays under 250 kB in the worst case: long ids, long permalinks, long multi-byte titles', () => {
    const records = Array.from({ length: 500 }, (_, i) =>
      record({
        id: `${String(i).padStart(6, '0')}${'x'.repeat(250)}`,
        title: '🙂'.repeat(400),
        state: 'done',
        unread: true,
        updatedAt: NOW - i,
      }),
    );
    const permalinks = (s: { key: string }) =>
      `https://acme.slack.com/archives/${'p'.repeat(2950)}?k=${s.key}`;
    const view = home(records, { permalinks });
    expect(blockKitErrors(view)).toEqual([]);
    expect(new TextEncoder().encode(JSON.stringify(view)).length).toBeLessThan(SLACK_LIMITS.viewBytes);
  });
});

describe('buildHomeView escaping', () => {
  it('lets no hostile title mention, link or format anything', () => {
    const records = [
      record({ title: HOSTILE, state: 'failed', error: HOSTILE, unread: true }),
      record({ title: HOSTILE, state: 'queued', position: 2 }),
    ];
    const view = home(records);
    expect(dangerousStrings(view)).toEqual([]);
    expect(rawAnglesInMrkdwn(view, OUR_MARKUP)).toEqual([]);
    expect(allStrings(view).some((s) => s.includes('<#C0999'))).toBe(false);
    // Titles and reasons are plain_text: Slack renders them literally, so `*bold*` stays `*bold*`.
    const hostileTexts = textObjects(view).filter(
      (t) => t.text.includes('urgent') || t.text.includes('Reason'),
    );
    expect(hostileTexts.length).toBeGreaterThan(0);
    for (const t of hostileTexts) expect(t.type).toBe('plain_text');
  });

  it('puts each title on one line and shortens long ones', () => {
    const view = home([record({ title: `line one\nline two ${'word '.repeat(100)}` })]);
    const title = textObjects(view).find((t) => t.text.startsWith('line one'));
    expect(title?.text).not.toContain('\n');
    expect(title?.text.length).toBeLessThanOrEqual(150);
    expect(title?.text.endsWith('…')).toBe(true);
  });

  it('does not render a malformed channel id as markup', () => {
    const view = home([record({ id: 'T0001:odd:1', channelId: 'C1|x><!channel' })]);
    expect(dangerousStrings(view)).toEqual([]);
    expect(rawAnglesInMrkdwn(view)).toEqual([]);
  });

  it('names direct messages instead of mentioning a DM channel', () => {
    const view = home([record({ channelId: 'D0123DM' })]);
    expect(texts(view)).toContain('Direct message');
    expect(texts(view)).not.toContain('<#D0123DM>');
  });
});

describe('buildHomeView sessions', () => {
  it('shows the header counts over all requests', () => {
    const records = [
      record({ state: 'done', unread: true }),
      record({ state: 'done', unread: true }),
      record({ state: 'queued' }),
      record({ state: 'queued' }),
      record({ state: 'queued' }),
      record({ state: 'running' }),
      record({ state: 'failed' }),
      record({ state: 'done' }),
    ];
    const view = home(records);
    expect(view.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Your Backchannel sessions' } });
    expect(texts(view)).toContain('📬 *2* unread · ⏳ *3* queued · ⚙️ *1* running · ⚠️ *1* failed');
  });

  it('shows title, channel, state and age of a session', () => {
    const view = home([
      record({ title: 'Why is CI red?', state: 'queued', position: 3, updatedAt: NOW - 180_000 }),
    ]);
    const all = texts(view);
    expect(all).toContain('Why is CI red?');
    expect(all).toContain(`<#${CHANNEL}> · ⏳ Queued, #3 in line · 3 min ago`);
  });

  it.each([
    ['answering', false, ['Open thread'], '✍️ Answering now'],
    ['queued', false, ['Open thread', 'Cancel'], '⏳ Queued'],
    ['running', false, ['Open thread', 'Cancel'], '⚙️ Running'],
    ['done', false, ['Open thread', 'View result'], '✅ Done'],
    ['done', true, ['Open thread', 'View result', 'Mark read'], '✅ Done'],
    ['failed', false, ['Open thread', 'Retry'], '⚠️ Failed'],
    ['cancelled', false, ['Open thread', 'Retry'], '🚫 Cancelled'],
  ] as const)('a %s session (unread: %s) gets exactly %j', (state, unread, expected, label) => {
    const r = record({ state, unread });
    const view = home([r]);
    expect(rowButtons(view.blocks)).toEqual(expected);
    expect(texts(view)).toContain(label);
    expect(texts(view).includes('📬 How do I')).toBe(unread);
    for (const b of buttons(view.blocks).filter(
      (b) => b.action_id?.startsWith('bc_') && b.action_id !== 'bc_toggle_dm',
    )) {
      expect(b.value).toBe(r.id);
    }
  });

  it('gives each button its action id', () => {
    const view = home([
      record({ state: 'done', unread: true }),
      record({ state: 'queued' }),
      record({ state: 'failed' }),
    ]);
    const ids = new Set(buttons(view.blocks).map((b) => b.action_id));
    for (const id of [
      ACTION_IDS.openThread,
      ACTION_IDS.viewResult,
      ACTION_IDS.markRead,
      ACTION_IDS.cancel,
      ACTION_IDS.retry,
      ACTION_IDS.toggleDm,
    ]) {
      expect(ids).toContain(id);
    }
  });

  it('shows a failure reason and hides View result when no result is stored', () => {
    const view = home([record({ state: 'failed', error: 'The model did not answer in time.' })]);
    expect(texts(view)).toContain('Reason: The model did not answer in time.');
    const noResult = home([record({ state: 'done' })], { hasResult: () => false });
    expect(rowButtons(noResult.blocks)).toEqual(['Open thread']);
  });

  it('groups a thread into one session whose state and title come from its newest request', () => {
    const threadTs = '1714564000.000100';
    const older = record({
      threadTs,
      title: 'First question',
      state: 'done',
      unread: true,
      updatedAt: NOW - 600_000,
    });
    const newer = record({ threadTs, title: 'Follow-up', state: 'running', updatedAt: NOW - 30_000 });
    const other = record({ title: 'Elsewhere', updatedAt: NOW - 900_000 });
    const sessions = groupSessions([older, other, newer]);
    expect(sessions.map((s) => s.key)).toEqual([
      sessionKey(CHANNEL, threadTs),
      sessionKey(CHANNEL, other.threadTs),
    ]);
    expect(sessions[0]?.latest.id).toBe(newer.id);

    const view = home([older, other, newer]);
    const all = texts(view);
    expect(all).toContain('📬 Follow-up');
    expect(all).toContain('⚙️ Running · just now · 2 questions · 📬 an earlier answer is unread');
    expect(all).not.toContain('First question');
    // View result and Mark read act on the unread request; Cancel on the running one.
    const row = actionBlocks(view.blocks)[0]?.elements as types.Button[];
    expect(row.map((b) => [b.text.text, b.value])).toEqual([
      ['Open thread', newer.id],
      ['View result', older.id],
      ['Mark read', older.id],
      ['Cancel', newer.id],
    ]);
  });

  it('lists sessions newest activity first', () => {
    const records = [
      record({ title: 'old', updatedAt: NOW - 3_600_000 }),
      record({ title: 'newest', updatedAt: NOW - 1_000 }),
      record({ title: 'middle', updatedAt: NOW - 600_000 }),
    ];
    const order = textObjects(home(records))
      .map((t) => t.text)
      .filter((t) => ['old', 'newest', 'middle'].includes(t));
    expect(order).toEqual(['newest', 'middle', 'old']);
  });
});

describe('Open thread', () => {
  const openButton = (view: HomeView) =>
    buttons(view.blocks).find((b) => b.action_id === ACTION_IDS.openThread);
  const link = 'https://acme.slack.com/archives/C0123ABC/p1714564801000100';

  it('is a url button when the permalink is known by session key, request id or function', () => {
    const r = record();
    expect(openButton(home([r], { permalinks: { [sessionKey(r.channelId, r.threadTs)]: link } }))?.url).toBe(
      link,
    );
    expect(openButton(home([r], { permalinks: { [r.id]: link } }))?.url).toBe(link);
    expect(openButton(home([r], { permalinks: () => link }))?.url).toBe(link);
  });

  it('is an action button carrying the request id when no safe permalink is known', () => {
    const r = record();
    for (const permalinks of [
      undefined,
      {},
      { [r.id]: 'javascript:alert(1)' },
      { [r.id]: 'http://evil.example/' },
      { [r.id]: 'https://x.example/a|b>' },
      { [r.id]: `https://x.example/${'a'.repeat(3000)}` },
      () => undefined,
    ]) {
      const b = openButton(home([r], { permalinks }));
      expect(b?.url).toBeUndefined();
      expect(b?.value).toBe(r.id);
    }
  });

  it('does not read inherited keys of the permalink map', () => {
    const r = record({ id: 'constructor' });
    expect(openButton(home([r], { permalinks: {} }))?.url).toBeUndefined();
  });
});

describe('paging', () => {
  // Three pages: two full ones and a part.
  const total = 2 * HOME_SESSIONS_PER_PAGE + 9;
  const records = manySessions(total);
  const pagingButtons = (view: HomeView) =>
    buttons(view.blocks).filter((b) => b.action_id === ACTION_IDS.older || b.action_id === ACTION_IDS.newer);

  it('offers Older, and no Newer, on the first page', () => {
    const view = home(records);
    expect(pagingButtons(view).map((b) => [b.action_id, b.value])).toEqual([[ACTION_IDS.older, '1']]);
    expect(texts(view)).toContain(`Sessions 1–${HOME_SESSIONS_PER_PAGE} of ${total}`);
  });

  it('offers both in the middle and only Newer on the last page', () => {
    expect(pagingButtons(home(records, { page: 1 })).map((b) => [b.action_id, b.value])).toEqual([
      [ACTION_IDS.newer, '0'],
      [ACTION_IDS.older, '2'],
    ]);
    const last = home(records, { page: 2 });
    expect(pagingButtons(last).map((b) => [b.action_id, b.value])).toEqual([[ACTION_IDS.newer, '1']]);
    expect(texts(last)).toContain(`Sessions ${2 * HOME_SESSIONS_PER_PAGE + 1}–${total} of ${total}`);
  });

  it('shows each session on exactly one page', () => {
    const titles = [0, 1, 2].flatMap((page) =>
      textObjects(home(records, { page }))
        .map((t) => t.text.replace('📬 ', ''))
        .filter((t) => t.startsWith('Question number')),
    );
    expect(titles).toHaveLength(total);
    expect(new Set(titles).size).toBe(total);
  });

  it('shows the nearest page for a stale page index and keeps it in private_metadata', () => {
    const view = home(records, { page: 99 });
    expect(view.private_metadata).toBe('2');
    expect(decodeActionValue(ACTION_IDS.older, view.private_metadata)).toBe(2);
    expect(home(records, { page: -3 }).private_metadata).toBe('0');
  });

  it('has no paging when everything fits one page', () => {
    expect(pagingButtons(home(manySessions(HOME_SESSIONS_PER_PAGE)))).toEqual([]);
  });
});

describe('empty state and preference', () => {
  it('teaches a new user how to start and where results show up', () => {
    const view = home([]);
    const all = texts(view);
    expect(all).toContain('Welcome to Backchannel');
    expect(all).toContain('@Backchannel');
    expect(all).toContain('direct message');
    expect(all).toContain('`/ask &lt;question&gt;`');
    expect(all).toContain('`/ask later &lt;question&gt;`');
    expect(all).toContain('📬');
    expect(rawAnglesInMrkdwn(view)).toEqual([]);
    expect(blockKitErrors(view)).toEqual([]);
  });

  it('mentions the bot when its user id is known, and only a valid one', () => {
    expect(texts(home([], { botUserId: 'U0BOT' }))).toContain('<@U0BOT>');
    expect(texts(home([], { botUserId: 'U0BOT><!channel' }))).not.toContain('<@');
  });

  it('toggles the DM preference to the other state', () => {
    const toggle = (on: boolean, records: RequestRecord[]) =>
      home(records, { dmOnResult: on })
        .blocks.filter(
          (b): b is types.SectionBlock =>
            b.type === 'section' && (b as types.SectionBlock).accessory?.type === 'button',
        )
        .map((b) => ({ text: b.text?.text, button: b.accessory as types.Button }))[0];
    for (const records of [[], [record()]]) {
      const on = toggle(true, records);
      expect(on?.text).toContain('DM me when a background result is ready:* on');
      expect(on?.button).toMatchObject({
        action_id: ACTION_IDS.toggleDm,
        value: 'off',
        text: { text: 'Turn off' },
      });
      const off = toggle(false, records);
      expect(off?.text).toContain('DM me when a background result is ready:* off');
      expect(off?.button).toMatchObject({
        action_id: ACTION_IDS.toggleDm,
        value: 'on',
        text: { text: 'Turn on' },
      });
    }
  });
});

describe('buildSessionsMessage', () => {
  it.each([0, 1, 37, 500])('keeps the ephemeral list within 50 blocks with %i sessions', (n) => {
    const records = manySessions(n);
    const pages = Math.max(1, Math.ceil(n / MESSAGE_SESSIONS_PER_PAGE));
    for (const page of [0, pages - 1]) {
      const message = buildSessionsMessage(records, { now: NOW, page });
      expect(message.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.messageBlocks);
      expect(blockKitErrors(message)).toEqual([]);
      expect(message.text.length).toBeGreaterThan(0);
    }
  });

  it('renders the same rows, escaped, with a summary text', () => {
    const records = [record({ title: HOSTILE, state: 'done', unread: true }), record({ state: 'queued' })];
    const message = buildSessionsMessage(records, { now: NOW });
    expect(message.text).toBe('Your Backchannel sessions: 1 unread, 1 queued, 0 running, 0 failed.');
    expect(rowButtons(message.blocks)).toEqual(['Open thread', 'View result', 'Mark read']);
    expect(dangerousStrings(message)).toEqual([]);
    expect(rawAnglesInMrkdwn(message, OUR_MARKUP)).toEqual([]);
  });

  it('pages with Older and Newer and points to the Home tab', () => {
    const message = buildSessionsMessage(manySessions(30), { now: NOW, page: 1 });
    expect(
      buttons(message.blocks).filter((b) => b.action_id === 'bc_older' || b.action_id === 'bc_newer'),
    ).toHaveLength(2);
    expect(texts(message)).toContain('Home tab');
  });

  it('teaches how to start when there are no sessions', () => {
    const message = buildSessionsMessage([], { now: NOW });
    expect(message.text).toBe('You have no Backchannel sessions yet.');
    expect(texts(message)).toContain('/ask later');
  });
});
