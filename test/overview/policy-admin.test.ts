import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { POLICY_IDS as ID } from '../../src/out/views/policy-admin.js';
import { createAdminAudit } from '../../src/sessions/admin-audit.js';
import { redisState, until } from '../support/redis-state.js';
import { type Stack, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();
const dir = mkdtempSync(path.join(tmpdir(), 'policy-admin-'));
const FILE = path.join(dir, 'policy.json');
writeFileSync(
  FILE,
  JSON.stringify({
    models: ['gpt-4o', 'gpt-4o-mini'],
    channels: { C0123: { respond: 'mention' } },
    contact: '<@UADMIN>',
  }),
);
const users = { users: { UADMIN: { is_admin: true }, UOWNER: { is_owner: true } } };

const homeText = (s: Stack, user: string) => JSON.stringify(s.slack.homeView(user)?.blocks ?? []);
const openHome = async (s: Stack, user: string) => {
  const before = s.slack.calls('views.publish').length;
  await s.driver.homeOpened({ user });
  await s.slack.waitFor(() => s.slack.calls('views.publish').length > before && s.slack.homeView(user));
};

describe('the Admin section of the Home tab', () => {
  it('shows only to workspace admins and owners: defaults, channels (locked fields marked) and buttons', async () => {
    const s = await start({ env: { POLICY_FILE: FILE }, slack: users });
    await openHome(s, 'UADMIN');
    await openHome(s, 'UOWNER');
    await openHome(s, 'U0MEMBER');
    for (const admin of ['UADMIN', 'UOWNER']) {
      expect(homeText(s, admin)).toContain('Workspace defaults');
      expect(homeText(s, admin)).toContain(ID.editWorkspace);
    }
    expect(homeText(s, 'UADMIN')).toMatch(/<#C0123>.*only when mentioned.*🔒/);
    expect(homeText(s, 'U0MEMBER')).not.toContain('Workspace defaults');
    expect(homeText(s, 'U0MEMBER')).not.toContain('bcp_');
  });

  it('edits a channel in the modal: stored, audited, shown on Home, and used by the next request', async () => {
    const s = await start({ env: { POLICY_FILE: FILE }, slack: users });
    await openHome(s, 'UADMIN');
    await s.driver.blockAction({ user: 'UADMIN', actionId: ID.editChannel, value: '', container: 'view' });
    const modal = await s.slack.waitFor(() => s.slack.modals(ID.modal)[0]);
    const submitted = await s.driver.submitView({
      user: 'UADMIN',
      view: modal,
      values: {
        [ID.channelBlock]: { [ID.channelInput]: 'C0555' },
        [ID.respondBlock]: { [ID.respondInput]: 'mention' },
        [ID.modelBlock]: { [ID.modelInput]: 'gpt-4o' },
        [ID.promptBlock]: { [ID.promptInput]: 'You are the release bot.' },
        [ID.privateBlock]: { [ID.privateInput]: 'inherit' },
      },
    });
    expect(submitted.ack.status).toBe(200);
    const db = redisState(s);
    await until(async () => (await db.redis.hget(db.keys.policyEdits(s.slack.teamId), 'C0555')) !== null);
    expect(JSON.parse((await db.redis.hget(db.keys.policyEdits(s.slack.teamId), 'C0555')) ?? '')).toEqual({
      respond: 'mention',
      model: 'gpt-4o',
      systemPrompt: 'You are the release bot.',
    });
    // One entry per changed field, written after the change is stored.
    const audit = await until(async () => {
      const got = await createAdminAudit({ redis: db.redis, keys: db.keys }).recent(s.slack.teamId);
      return got.length === 3 ? got : undefined;
    });
    expect(audit.map((a) => a.what)).toEqual(
      expect.arrayContaining(['C0555 respond: (default) → mention', 'C0555 model: (default) → gpt-4o']),
    );
    expect(audit.every((a) => a.by === 'UADMIN')).toBe(true);
    await s.slack.waitFor(() => homeText(s, 'UADMIN').includes('C0555 respond'));

    const { ts } = await s.driver.mention({ channel: 'C0555', user: 'U0ANY', text: 'ship it?' });
    await waitForReplies(s, 'C0555', ts);
    const req = s.llm.requests().at(-1);
    expect(req?.model).toBe('gpt-4o');
    expect(String(req?.messages[0]?.content)).toContain('You are the release bot.');
  });

  it('refuses a non-admin’s forged submission: nothing stored, nothing audited', async () => {
    const s = await start({ env: { POLICY_FILE: FILE }, slack: users });
    await openHome(s, 'UADMIN');
    await s.driver.blockAction({ user: 'UADMIN', actionId: ID.editWorkspace, container: 'view' });
    const modal = await s.slack.waitFor(() => s.slack.modals(ID.modal)[0]);
    await s.driver.submitView({
      user: 'U0MALLORY',
      view: modal,
      values: { [ID.respondBlock]: { [ID.respondInput]: 'off' } },
    });
    await until(async () => s.logs.some((l) => l.includes('policy edit by a non-admin refused')));
    const db = redisState(s);
    expect(await db.redis.exists(db.keys.policyEdits(s.slack.teamId))).toBe(0);
    expect(await createAdminAudit({ redis: db.redis, keys: db.keys }).recent(s.slack.teamId)).toEqual([]);
    // A non-admin's click opens nothing either.
    await s.driver.blockAction({ user: 'U0MALLORY', actionId: ID.editWorkspace, container: 'view' });
    await until(
      async () => s.logs.filter((l) => l.includes('policy edit by a non-admin refused')).length === 2,
    );
    expect(s.slack.modals(ID.modal)).toHaveLength(1);
  });
});
