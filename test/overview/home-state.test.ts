import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACTION_IDS } from '../../src/out/views/actions.js';
import { HOME_SESSIONS_PER_PAGE } from '../../src/out/views/home-view.js';
import { createKeys } from '../../src/sessions/keys.js';
import { HOME_PAGE_TTL_SECONDS, PREFS_TTL_SECONDS } from '../../src/sessions/prefs.js';
import { createRequestStore } from '../../src/sessions/requests.js';
import { addInstance, answerIn, pause, type Stack, useStack } from '../support/stack.js';

const start = useStack();
let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

const TEAM = 'T0TEAM';

/** `n` finished sessions of `user`, written straight to the stack's Redis; the last is the newest. */
const seedSessions = async (s: Stack, user: string, n: number, title = 'seeded question') => {
  // One millisecond apart, so the newest-first order is the creation order, never a tie.
  let clock = Date.now() - n;
  const now = () => clock++;
  const store = createRequestStore({ redis, keys: createKeys(s.prefix), retentionSeconds: 3_600, now });
  for (let i = 0; i < n; i++) {
    const ts = `${1_700_000_000 + i}.000100`;
    await store.create({
      id: `${TEAM}:C7:${ts}`,
      teamId: TEAM,
      userId: user,
      channelId: 'C7',
      threadTs: ts,
      badgeTs: ts,
      title: `${title} ${i}`,
      state: 'done',
      path: 'foreground',
    });
  }
};

/** The page a response_url post or a view shows ("Sessions 12–22 of 30"). */
const shownRange = (x: unknown) => /Sessions (\d+–\d+ of \d+)/.exec(JSON.stringify(x))?.[1];
const responseId = (url: string | undefined) => url?.split('/response/')[1] ?? '';
/** Polls a Redis condition (the Slack stand-in's waitFor wakes on Slack calls only). */
const until = async (probe: () => Promise<boolean>, ms = 5_000) => {
  for (const end = Date.now() + ms; !(await probe()); await pause(50))
    if (Date.now() > end) throw new Error('condition not met in time');
};

describe('/ask sessions paging', () => {
  it('re-renders Older, then Newer, in the same ephemeral message through response_url', async () => {
    const s = await start();
    await seedSessions(s, 'UPAGER', 30, 'pager question');
    const listed = await s.driver.command({ text: 'sessions', user: 'UPAGER', channel: 'C7' });
    const first = await s.slack.waitFor(() => s.slack.responses(listed.responseId)[0]);
    expect(shownRange(first.body)).toBe('1–11 of 30');

    const older = await s.driver.blockAction({
      user: 'UPAGER',
      actionId: ACTION_IDS.older,
      value: '1',
      container: 'message',
      channel: 'C7',
      messageTs: '1700000100.000100',
    });
    const second = await s.slack.waitFor(() => s.slack.responses(responseId(older.responseUrl))[0]);
    expect(second.body.replace_original).toBe(true);
    expect(shownRange(second.body)).toBe('12–22 of 30');
    expect(JSON.stringify(second.body)).toContain('pager question 18');
    expect(JSON.stringify(second.body)).not.toContain('pager question 29');
    expect((second.body.blocks as unknown[]).length).toBeLessThanOrEqual(50);

    const newer = await s.driver.blockAction({
      user: 'UPAGER',
      actionId: ACTION_IDS.newer,
      value: '0',
      container: 'message',
      channel: 'C7',
      messageTs: '1700000100.000100',
    });
    const third = await s.slack.waitFor(() => s.slack.responses(responseId(newer.responseUrl))[0]);
    expect(third.body.replace_original).toBe(true);
    expect(shownRange(third.body)).toBe('1–11 of 30');
    expect(JSON.stringify(third.body)).toContain('pager question 29');
  });

  it('shows a user who clicks a paging button only their own list', async () => {
    const s = await start();
    await seedSessions(s, 'UOWNER', 30, 'owner secret');
    await seedSessions(s, 'UOTHER', 1, 'other own');
    const click = await s.driver.blockAction({
      user: 'UOTHER',
      actionId: ACTION_IDS.older,
      value: '1',
      container: 'message',
      channel: 'C7',
      messageTs: '1700000100.000100',
    });
    const reply = await s.slack.waitFor(() => s.slack.responses(responseId(click.responseUrl))[0]);
    const text = JSON.stringify(reply.body);
    expect(text).toContain('other own 0');
    expect(text).not.toContain('owner secret');
  });
});

describe('Home tab state', () => {
  it('keeps the page a user paged to when another process re-publishes, and lets it expire', async () => {
    const s = await start({ role: 'web', env: { HOME_COALESCE_MS: '100' } });
    await addInstance(s, 'worker');
    await seedSessions(s, 'UHOME', 30);
    await s.driver.homeOpened({ user: 'UHOME' });
    await s.slack.waitFor(() => s.slack.homeView('UHOME'));
    await s.driver.blockAction({ user: 'UHOME', actionId: ACTION_IDS.older, value: '1', container: 'view' });
    await s.slack.waitFor(() => s.slack.homeView('UHOME')?.private_metadata === '1', 5_000);

    // The worker process runs the request and re-publishes the Home tab on each change.
    const { ts } = await s.driver.mention({ channel: 'C8', user: 'UHOME', text: 'later while paging' });
    await s.slack.waitFor(() => answerIn(s, 'C8', ts)[0], 8_000);
    await s.slack.waitFor(() => JSON.stringify(s.slack.homeView('UHOME')).includes('📬 *1* unread'), 5_000);
    await pause(300);
    const view = s.slack.homeView('UHOME');
    expect(view?.private_metadata).toBe('1');
    expect(shownRange(view)).toBe(`${HOME_SESSIONS_PER_PAGE + 1}–31 of 31`);

    const pageKey = createKeys(s.prefix).userHomePage(TEAM, 'UHOME');
    const ttl = await redis.ttl(pageKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(HOME_PAGE_TTL_SECONDS);
    // Once the page has expired, a re-publish shows the newest sessions.
    await redis.del(pageKey);
    await s.driver.homeOpened({ user: 'UHOME' });
    await s.slack.waitFor(() => s.slack.homeView('UHOME')?.private_metadata === '0', 5_000);
  });

  it('gives a user’s preferences an expiry, refreshed when they open the Home tab', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '100' } });
    const prefsKey = createKeys(s.prefix).userPrefs(TEAM, 'UPREFS');
    await s.driver.homeOpened({ user: 'UPREFS' });
    await s.slack.waitFor(() => s.slack.homeView('UPREFS'));
    expect(await redis.ttl(prefsKey)).toBeGreaterThan(PREFS_TTL_SECONDS - 60);

    await s.driver.blockAction({
      user: 'UPREFS',
      actionId: ACTION_IDS.toggleDm,
      value: 'on',
      container: 'view',
    });
    await s.slack.waitFor(() => JSON.stringify(s.slack.homeView('UPREFS')).includes('"off"'), 5_000);
    await redis.expire(prefsKey, 100);
    await s.driver.homeOpened({ user: 'UPREFS' });
    await until(async () => (await redis.ttl(prefsKey)) > PREFS_TTL_SECONDS - 60);
    expect(await redis.hget(prefsKey, 'dmOnResult')).toBe('1');
  });
});
