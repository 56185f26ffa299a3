import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/out/views/actions.js';
import { redisState, until } from '../support/redis-state.js';
import { answerIn, type Stack, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();
const dir = mkdtempSync(path.join(tmpdir(), 'retry-governed-'));
const homeText = (s: Stack, user: string) => JSON.stringify(s.slack.homeView(user)?.blocks ?? []);
const dmsTo = (s: Stack, user: string) =>
  s.slack.calls('chat.postMessage').filter((c) => c.params.channel === user);

/** `user` asks `later …` in `channel`; the LLM fails it for good, so Home offers Retry. */
const failedRequest = async (s: Stack, channel: string, user: string) => {
  s.llm.failNext({ kind: 'insufficient_quota' });
  await s.driver.homeOpened({ user });
  const { ts } = await s.driver.mention({ channel, user, text: 'later will fail once' });
  await s.slack.waitFor(() => s.slack.reactions(channel, ts).join() === 'x', 8_000);
  await s.slack.waitFor(() => homeText(s, user).includes(ACTION_IDS.retry), 5_000);
  return ts;
};

const retry = (s: Stack, channel: string, user: string, ts: string) =>
  s.driver.blockAction({
    user,
    actionId: ACTION_IDS.retry,
    value: redisState(s).idOf(channel, ts),
    container: 'view',
  });

describe('Retry from the Home tab', () => {
  it('is refused, privately, once the policy no longer lets the user ask; nothing reaches the LLM', async () => {
    const file = path.join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ defaults: { respond: 'thread' } }));
    const s = await start({ env: { POLICY_FILE: file, HOME_COALESCE_MS: '100' } });
    const ts = await failedRequest(s, 'C1', 'UD');
    const calls = s.llm.requests().length;
    // An admin takes the user off the list after the failure.
    writeFileSync(file, JSON.stringify({ allowedUsers: ['U0SOMEONE'] }));
    await until(async () => s.logs.some((l) => l.includes('policy file reloaded')), 5_000);
    await retry(s, 'C1', 'UD', ts);
    const refusal = await s.slack.waitFor(() => dmsTo(s, 'UD')[0], 5_000);
    expect(String(refusal.params.text)).toContain('not on the list');
    expect(s.llm.requests()).toHaveLength(calls);
    expect(answerIn(s, 'C1', ts)).toEqual([]);
    expect(s.slack.reactions('C1', ts)).toEqual(['x']);
  });

  it('runs with the policy of now: the model an admin set since the failure', async () => {
    const file = path.join(dir, 'policy-model.json');
    writeFileSync(file, JSON.stringify({ defaults: { model: 'gpt-old' } }));
    const s = await start({ env: { POLICY_FILE: file, HOME_COALESCE_MS: '100' } });
    const ts = await failedRequest(s, 'C2', 'UE');
    writeFileSync(file, JSON.stringify({ defaults: { model: 'gpt-new' } }));
    await until(async () => s.logs.some((l) => l.includes('policy file reloaded')), 5_000);
    await retry(s, 'C2', 'UE', ts);
    await s.slack.waitFor(() => answerIn(s, 'C2', ts)[0], 8_000);
    expect(s.llm.requests().at(-1)?.model).toBe('gpt-new');
  });

  it('is refused once the user has used their daily token budget', async () => {
    const s = await start({ env: { HOME_COALESCE_MS: '100' } });
    const ts = await failedRequest(s, 'C3', 'UF');
    // Another question, answered: it uses tokens.
    const other = await s.driver.mention({ channel: 'C4', user: 'UF', text: 'spend my budget' });
    await waitForReplies(s, 'C4', other.ts);
    const db = redisState(s);
    const day = `d${new Date().toISOString().slice(0, 10)}`;
    const used = `${s.prefix}:usage:${s.slack.teamId}:${day}:user:UF`;
    await until(async () => Number(await db.redis.hget(used, 'tokens')) > 1, 5_000);
    // An admin sets the user's daily budget below what they used (as the budget modal stores it).
    await db.redis.hset(`${s.prefix}:team:${s.slack.teamId}:budget-overrides`, 'UF', '1');
    const calls = s.llm.requests().length;
    await retry(s, 'C3', 'UF', ts);
    const refusal = await s.slack.waitFor(() => dmsTo(s, 'UF')[0], 5_000);
    expect(String(refusal.params.text)).toContain('daily budget');
    expect(s.llm.requests()).toHaveLength(calls);
    expect(answerIn(s, 'C3', ts)).toEqual([]);
  });
});
