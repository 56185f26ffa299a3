import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { BUDGET_IDS } from '../../src/out/views/usage-view.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createUsageStore } from '../../src/sessions/usage.js';
import { pause, type Stack, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();
/** Every answer reports 100 prompt + 50 completion tokens. */
const USAGE_150 = { usage: { prompt_tokens: 100, completion_tokens: 50 } };
const homeText = (s: Stack, user: string) => JSON.stringify(s.slack.homeView(user)?.blocks ?? []);
const refusalTo = (s: Stack, user: string) =>
  s.slack.ephemerals().find((e) => e.user === user && /daily budget/.test(e.text));

/** `user` asks in `channel` and gets an answer. */
const answered = async (s: Stack, channel: string, user: string, text = 'hello') => {
  const { ts } = await s.driver.mention({ channel, user, text });
  const [reply] = await waitForReplies(s, channel, ts);
  return reply;
};

describe('token budgets', () => {
  it('refuse a user over their daily budget privately, with the reset time, and no one else', async () => {
    const s = await start({ env: { USER_DAILY_TOKENS: '100' }, llm: USAGE_150 });
    await answered(s, 'C1', 'UA', 'first question');
    const { ts } = await s.driver.mention({ channel: 'C1', user: 'UA', text: 'second question' });
    const refusal = await s.slack.waitFor(() => refusalTo(s, 'UA'));
    expect(refusal.text).toMatch(/daily budget of 100 tokens/);
    expect(refusal.text).toMatch(/resets \d{4}-\d\d-\d\d 00:00 UTC/);
    // In the reader's own time zone, with Slack's date formatting.
    expect(JSON.stringify(refusal.blocks)).toMatch(
      /<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^>]+ UTC>/,
    );
    expect(refusal.thread_ts).toBe(ts);
    // Nothing public for the refused question, and another user is answered.
    expect(s.slack.messages('C1', ts).filter((m) => m.user !== 'UA')).toHaveLength(0);
    await answered(s, 'C1', 'UB');
    expect(s.llm.requests()).toHaveLength(2);
  });

  it('refuse everyone once the workspace has used its daily budget, counted in Redis', async () => {
    const s = await start({ env: { TEAM_DAILY_TOKENS: '100' }, llm: USAGE_150 });
    await answered(s, 'C2', 'UA');
    await s.driver.mention({ channel: 'C2', user: 'UB', text: 'me too?' });
    const refusal = await s.slack.waitFor(() => refusalTo(s, 'UB'));
    expect(refusal.text).toMatch(/This workspace has used its daily budget of 100 tokens/);
    const redis = new Redis(inject('redisUrl'));
    try {
      const usage = createUsageStore({ redis, keys: createKeys(s.prefix) });
      expect(await usage.usedToday({ teamId: 'T0TEAM', userId: 'UA' })).toEqual({ user: 150, team: 150 });
      // Another workspace's count is its own.
      expect(await usage.usedToday({ teamId: 'T0OTHER', userId: 'UA' })).toEqual({ user: 0, team: 0 });
    } finally {
      await redis.quit();
    }
  });

  it('let a running answer finish when the budget runs out meanwhile', async () => {
    const s = await start({
      env: { USER_DAILY_TOKENS: '100' },
      llm: { ...USAGE_150, ttftMs: 300, tokensPerSecond: 40, words: 20 },
    });
    const { ts } = await s.driver.mention({ channel: 'C3', user: 'UA', text: 'long one' });
    await s.llm.waitForRequests(1);
    const redis = new Redis(inject('redisUrl'));
    try {
      // Another process counts this user's tokens past the budget while the answer streams.
      await createUsageStore({ redis, keys: createKeys(s.prefix) }).record(
        { teamId: 'T0TEAM', userId: 'UA' },
        { promptTokens: 500, completionTokens: 0 },
      );
    } finally {
      await redis.quit();
    }
    const [reply] = await waitForReplies(s, 'C3', ts, 1, 10_000);
    expect(reply?.text).toContain('alpha');
    expect(reply?.text).not.toMatch(/cut off|⚠️/);
    await s.driver.mention({ channel: 'C3', user: 'UA', text: 'another' });
    await s.slack.waitFor(() => refusalTo(s, 'UA'));
  });
});

describe('usage people can see', () => {
  it("shows each user their usage as a bar on Home, and admins the workspace's with a chart", async () => {
    const s = await start({
      env: { USER_DAILY_TOKENS: '1000', LLM_PRICES: '{"test-model":{"input":1,"output":2}}' },
      llm: USAGE_150,
      slack: { users: { UADMIN: { is_admin: true } } },
    });
    await answered(s, 'C4', 'UA');
    await s.driver.homeOpened({ user: 'UA' });
    await s.slack.waitFor(() => s.slack.homeView('UA'));
    expect(homeText(s, 'UA')).toContain('▰▰▱▱▱▱▱▱▱▱ 15% · 150 of 1,000 tokens today');
    expect(homeText(s, 'UA')).not.toContain('Workspace usage');

    await s.driver.homeOpened({ user: 'UADMIN' });
    const view = await s.slack.waitFor(() => s.slack.homeView('UADMIN'));
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('Workspace usage');
    expect(text).toContain('<@UA> 150');
    expect(text).toContain('$0.0002');
    const image = (view.blocks as { type: string; slack_file?: { id: string } }[]).find(
      (b) => b.type === 'image',
    );
    const [file] = s.slack.files();
    expect(file?.completed).toBe(true);
    expect(image?.slack_file?.id).toBe(file?.id);
    expect(file?.bytes?.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(file?.bytes?.length).toBeGreaterThan(1000);

    // Within the hour the chart is reused, not uploaded again.
    await s.driver.homeOpened({ user: 'UADMIN' });
    await s.slack.waitFor(() => s.slack.calls('views.publish').length >= 3);
    expect(s.slack.files()).toHaveLength(1);

    // A Slack that will not show the chart (invalid_blocks) still gets the rest of the admin's tab.
    s.slack.failNext('views.publish', {
      error: 'invalid_blocks',
      match: (p) => JSON.stringify(p).includes('slack_file'),
    });
    await s.driver.homeOpened({ user: 'UADMIN' });
    const shown = () => JSON.stringify(s.slack.homeView('UADMIN')?.blocks);
    await s.slack.waitFor(() => !shown().includes('slack_file'), 5_000, 'the tab without its image');
    expect(shown()).toContain('Workspace usage');
    expect(s.slack.calls('views.publish').some((c) => c.response?.error === 'invalid_blocks')).toBe(true);
  });

  it('lets an admin raise a user’s daily budget from Home, audited, and the user is answered again', async () => {
    const s = await start({
      env: { USER_DAILY_TOKENS: '100' },
      llm: USAGE_150,
      slack: { users: { UADMIN: { is_admin: true } } },
    });
    await answered(s, 'C5', 'UA');
    await s.driver.mention({ channel: 'C5', user: 'UA', text: 'refused' });
    await s.slack.waitFor(() => refusalTo(s, 'UA'));

    // A non-admin's click opens nothing.
    await s.driver.blockAction({ user: 'UA', actionId: BUDGET_IDS.open, container: 'view' });
    await s.driver.blockAction({ user: 'UADMIN', actionId: BUDGET_IDS.open, container: 'view' });
    await s.slack.waitForCall('views.open');
    expect(s.slack.calls('views.open')).toHaveLength(1);
    const [modal] = s.slack.modals(BUDGET_IDS.modal);
    await s.driver.submitView({
      user: 'UADMIN',
      view: modal!,
      values: {
        [BUDGET_IDS.userBlock]: { [BUDGET_IDS.userInput]: 'UA' },
        [BUDGET_IDS.tokensBlock]: { [BUDGET_IDS.tokensInput]: '200000' },
      },
    });
    const redis = new Redis(inject('redisUrl'));
    try {
      const keys = createKeys(s.prefix);
      for (let i = 0; i < 100 && (await redis.hget(keys.budgetOverrides('T0TEAM'), 'UA')) !== '200000'; i++)
        await pause(50);
      expect(await redis.hget(keys.budgetOverrides('T0TEAM'), 'UA')).toBe('200000');
      const [entry] = await redis.lrange(keys.adminAudit('T0TEAM'), 0, 0);
      expect(JSON.parse(entry ?? '{}')).toMatchObject({
        by: 'UADMIN',
        what: 'UA daily tokens: 100 → 200,000',
      });
    } finally {
      await redis.quit();
    }
    await answered(s, 'C5', 'UA', 'admitted again');
  });

  it('answers /ask usage privately: the user’s own, and the workspace’s for admins', async () => {
    const s = await start({
      env: { USER_DAILY_TOKENS: '1000' },
      llm: USAGE_150,
      slack: { users: { UADMIN: { is_admin: true } } },
    });
    await answered(s, 'C6', 'UA');
    const user = await s.driver.command({ text: 'usage', user: 'UA', channel: 'C6' });
    const mine = await s.slack.waitFor(() => s.slack.responses(user.responseId)[0]);
    expect(mine.body).toMatchObject({ response_type: 'ephemeral' });
    expect(String(mine.body.text)).toContain('150 of 1,000 tokens today');
    expect(String(mine.body.text)).not.toContain('Workspace usage');

    const admin = await s.driver.command({ text: 'usage', user: 'UADMIN', channel: 'C6' });
    const theirs = await s.slack.waitFor(() => s.slack.responses(admin.responseId)[0]);
    expect(String(theirs.body.text)).toContain('Workspace usage');
    expect(String(theirs.body.text)).toContain('<@UA> 150');
  });
});
