import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { redisState, until } from '../support/redis-state.js';
import { botReplies, notesIn, type Stack, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();
const dir = mkdtempSync(path.join(tmpdir(), 'policy-e2e-'));
let files = 0;
const policyFile = (policy: unknown) => {
  const file = path.join(dir, `policy-${++files}.json`);
  writeFileSync(file, typeof policy === 'string' ? policy : JSON.stringify(policy));
  return file;
};

/** The minimal file of issue 16, exactly. */
const MINIMAL = `{ "defaults": { "respond": "thread", "model": "gpt-4o-mini" },
  "channels": { "C0123": { "respond": "mention", "systemPrompt": "You answer questions about payroll." },
                "C0456": { "respond": "off" } },
  "allowedUsers": ["U0AAA", "U0BBB"] }`;

const ephemeralsTo = (s: Stack, user: string) => s.slack.ephemerals().filter((e) => e.user === user);
const policyLogs = (s: Stack, why: string) =>
  s.logs.filter((l) => l.includes('request not answered by policy') && l.includes(why));

describe('the policy in the request path', () => {
  it('refuses a user off the allowlist privately, saying who to ask, and answers a listed one', async () => {
    const s = await start({ env: { POLICY_FILE: policyFile(MINIMAL) } });
    const { ts } = await s.driver.mention({ channel: 'C0999', user: 'U0CCC', text: 'what is payroll?' });
    const refusal = await s.slack.waitFor(() => ephemeralsTo(s, 'U0CCC')[0]);
    expect(refusal).toMatchObject({ channel: 'C0999', thread_ts: ts });
    expect(refusal.text).toContain('Ask a workspace admin');
    const cmd = await s.driver.command({ text: 'what is payroll?', user: 'U0CCC', channel: 'C0999' });
    const response = await s.slack.waitFor(() => s.slack.responses(cmd.responseId)[0]);
    expect(JSON.stringify(response)).toContain('not on the list');

    const ok = await s.driver.mention({ channel: 'C0999', user: 'U0AAA', text: 'and now?' });
    await waitForReplies(s, 'C0999', ok.ts);
    expect(botReplies(s, 'C0999', ts)).toEqual([]);
    expect(s.llm.requests()).toHaveLength(1);
    // The channel's model: the file's defaults, not OPENAI_MODEL.
    expect(s.llm.requests()[0]?.model).toBe('gpt-4o-mini');
  });

  it('says `respond: off` privately once per user per day, then stays silent', async () => {
    const s = await start({ env: { POLICY_FILE: policyFile(MINIMAL) } });
    await s.driver.mention({ channel: 'C0456', user: 'U0AAA', text: 'hello?' });
    await s.slack.waitFor(() => ephemeralsTo(s, 'U0AAA')[0]);
    await s.driver.mention({ channel: 'C0456', user: 'U0AAA', text: 'hello again?' });
    await until(async () => policyLogs(s, 'already told today').length === 1);
    expect(ephemeralsTo(s, 'U0AAA')).toHaveLength(1);
    expect(ephemeralsTo(s, 'U0AAA')[0]?.text).toContain("I've been turned off in <#C0456>");
    const ttl = await redisState(s).redis.ttl(`${s.prefix}:user:${s.slack.teamId}:U0AAA:off:C0456`);
    expect(ttl).toBeGreaterThan(86_000);
    expect(s.llm.requests()).toEqual([]);
  });

  it('in a `mention` channel ignores thread replies without a mention, and answers with the channel’s prompt', async () => {
    const s = await start({ env: { POLICY_FILE: policyFile(MINIMAL) } });
    const { ts } = await s.driver.mention({ channel: 'C0123', user: 'U0AAA', text: 'when is payday?' });
    await waitForReplies(s, 'C0123', ts);
    const first = s.llm.requests()[0];
    expect(first?.model).toBe('gpt-4o-mini');
    expect(first?.messages[0]).toMatchObject({ role: 'system' });
    expect(String(first?.messages[0]?.content)).toContain('You answer questions about payroll.');

    await s.driver.message({ channel: 'C0123', user: 'U0AAA', text: 'and overtime?', threadTs: ts });
    await until(async () => policyLogs(s, 'thread reply without a mention').length === 1);
    await s.driver.mention({ channel: 'C0123', user: 'U0BBB', text: 'and bonuses?', threadTs: ts });
    await waitForReplies(s, 'C0123', ts, 2);
    expect(s.llm.requests()).toHaveLength(2);
    expect(ephemeralsTo(s, 'U0AAA')).toEqual([]);
  });

  it('answers privately, as an ephemeral message in the thread, and keeps the result for the Home tab', async () => {
    const s = await start({ env: { POLICY_FILE: policyFile({ channels: { C0777: { private: true } } }) } });
    const { ts } = await s.driver.mention({ channel: 'C0777', user: 'U0AAA', text: 'my salary?' });
    const answer = await s.slack.waitFor(() => ephemeralsTo(s, 'U0AAA')[0]);
    expect(answer).toMatchObject({ channel: 'C0777', thread_ts: ts });
    expect(answer.text).toContain('my salary?');
    const db = redisState(s);
    const id = db.idOf('C0777', ts);
    await until(async () => (await db.record(id))?.state === 'done');
    expect((await db.result(id))?.text).toBe(answer.text);
    expect(botReplies(s, 'C0777', ts)).toEqual([]);
    expect(s.slack.reactions('C0777', ts)).toEqual([]);
  });

  it('keeps an /ask question private too: its thread root says only that someone asked', async () => {
    const s = await start({ env: { POLICY_FILE: policyFile({ channels: { C0778: { private: true } } }) } });
    await s.driver.command({ channel: 'C0778', user: 'U0AAA', text: 'what is my bonus?' });
    const answer = await s.slack.waitFor(() => ephemeralsTo(s, 'U0AAA')[0]);
    // The stand-in LLM echoes what it was asked: the question reached it, and only the asker sees it.
    expect(answer.text).toContain('what is my bonus?');
    const [root] = s.slack.messages('C0778');
    expect(root?.text).toContain('<@U0AAA> asked a question here');
    expect(JSON.stringify(s.slack.messages('C0778'))).not.toContain('bonus');
    expect(answer.thread_ts).toBe(root?.ts);
  });

  it('with `background: false` answers `later` in the foreground, with a private note saying so', async () => {
    const s = await start({ env: { POLICY_FILE: policyFile({ defaults: { background: false } }) } });
    const { ts } = await s.driver.mention({ channel: 'C0888', user: 'U0AAA', text: 'later summarise this' });
    const replies = await waitForReplies(s, 'C0888', ts);
    expect(replies[0]?.text).toContain('summarise this');
    expect(notesIn(s, 'C0888', ts)).toEqual([]);
    expect(ephemeralsTo(s, 'U0AAA')[0]?.text).toContain('Background answers are turned off here');
    expect((await redisState(s).record(redisState(s).idOf('C0888', ts)))?.path).toBe('foreground');
  });
});
