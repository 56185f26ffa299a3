import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_IDS as ID } from '../../src/out/views/policy-admin.js';
import { createUsageStore } from '../../src/sessions/usage.js';
import { createDriver, type SlackDriver } from '../../standins/driver/index.js';
import type { ThrowawayRedis } from '../../standins/redis-server.js';
import { startTestRedis } from '../support/processes.js';
import {
  answerText,
  completeAnswers,
  deploy,
  emptyWorkDir,
  fileStandins,
  llmRequestsFor,
  requestIdOf,
  SIGNING_SECRET,
  sleep,
  uniqueId,
  uniqueQuestion,
} from './helpers.js';

/**
 * Governance through real processes (issue 16, "Done when"): two web processes and a worker on one
 * Redis, a driver per web process. A policy file change and an admin's Home edit take effect
 * within 5 s in every process; the daily token budgets refuse at the limit whichever process
 * answered; usage shows on Home, with the admin's chart uploaded as a PNG.
 */
let redis: ThrowawayRedis;
let client: Redis;
/** Every answer reports 30 prompt + 10 completion tokens: 40 a question. */
const { slack, openai } = await fileStandins({
  text: answerText,
  usage: { prompt_tokens: 30, completion_tokens: 10 },
});

beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  await client.quit();
});

/** The issue promises that a policy change takes effect within this long, with no restart. */
const EFFECT_MS = 5_000;

type Deployment = Awaited<ReturnType<typeof deploy>>;

/** Two web processes and a worker; `drivers[i]` signs requests to web process `i`. */
const deployTwoWebs = async (name: string, extra: Record<string, string>) => {
  const d = await deploy({ slack, openai, redisUrl: redis.url, name, webs: 2, extra });
  const drivers = d.webs.map((w) => createDriver({ url: w.url, signingSecret: SIGNING_SECRET, slack }));
  return { ...d, drivers };
};

const privateTo = (user: string, threadTs: string) =>
  slack.ephemerals().find((e) => e.user === user && e.thread_ts === threadTs);

/** `user` asks through `driver` and is answered in full; returns the question. */
const answered = async (driver: SlackDriver, channel: string, user: string, topic = 'a question') => {
  const question = uniqueQuestion(topic);
  const { ts } = await driver.mention({ channel, user, text: question });
  await slack.waitFor(() => completeAnswers(slack, channel, ts, question)[0], 20_000, 'the answer');
  return question;
};

/** `user` asks through `driver` and is refused privately, and never answered; returns the refusal text. */
const refused = async (driver: SlackDriver, channel: string, user: string, text?: string) => {
  const question = text ?? uniqueQuestion('am I answered');
  const { ts } = await driver.mention({ channel, user, text: question });
  const told = await slack.waitFor(() => privateTo(user, ts), 15_000, `a private refusal to ${user}`);
  expect(llmRequestsFor(openai, question)).toEqual([]);
  expect(completeAnswers(slack, channel, ts, question)).toEqual([]);
  return { text: told.text, requestId: requestIdOf(slack, channel, ts) };
};

/**
 * Requests that are refused, sent in rounds through each web process in turn, until every web
 * process has been the one to decide a refusal (its log line `msg` names the request): the intake
 * queue is shared, so whichever web process is free takes each request. Every one must be refused.
 */
const refusedInEveryProcess = async (
  d: Deployment & { drivers: SlackDriver[] },
  msg: string,
  refuse: (driver: SlackDriver, round: number) => Promise<{ text: string; requestId: string }>,
): Promise<string[]> => {
  const ids: string[] = [];
  const texts: string[] = [];
  const decidedBy = (web: Deployment['web']) =>
    web.logs().some((l) => l.msg === msg && ids.includes(String(l.fields.requestId)));
  for (let round = 0; round < 10 && !d.webs.every(decidedBy); round++) {
    for (const driver of d.drivers) {
      const { text, requestId } = await refuse(driver, round);
      texts.push(text);
      ids.push(requestId);
    }
  }
  expect(d.webs.map(decidedBy)).toEqual(d.webs.map(() => true));
  return texts;
};

const untilLater = (from: number, ms: number) => sleep(Math.max(0, from + ms - Date.now()));

describe('policy: where and how the bot answers', () => {
  it('follows a change of the policy file within 5 s in every process', { timeout: 90_000 }, async () => {
    const file = path.join(emptyWorkDir(), 'policy.json');
    // The minimal format, exactly.
    const policy = {
      defaults: { respond: 'thread', model: 'gpt-4o-mini' },
      channels: {
        C0123: { respond: 'mention', systemPrompt: 'You answer questions about payroll.' },
        C0456: { respond: 'off' },
      },
      allowedUsers: ['U0AAA', 'U0BBB'],
    };
    writeFileSync(file, JSON.stringify(policy));
    const d = await deployTwoWebs('policy-file', { POLICY_FILE: file });
    const [a, b] = d.drivers as [SlackDriver, SlackDriver];

    // As written: U0AAA is answered through either process, with the channel's prompt and model.
    for (const driver of [a, b]) {
      const question = await answered(driver, 'C0123', 'U0AAA', 'payroll');
      const [req] = llmRequestsFor(openai, question);
      expect(req?.model).toBe('gpt-4o-mini');
      expect(req?.messages[0]).toEqual({ role: 'system', content: 'You answer questions about payroll.' });
    }
    expect((await refused(b, 'C0123', 'U0CCC')).text).toMatch(/you're not on the list/);
    expect((await refused(a, 'C0456', 'U0BBB')).text).toMatch(/I've been turned off in <#C0456>/);

    // U0AAA is taken off the list: 5 s after the write, every process refuses them.
    writeFileSync(file, JSON.stringify({ ...policy, allowedUsers: ['U0BBB'] }));
    await untilLater(Date.now(), EFFECT_MS);
    const texts = await refusedInEveryProcess(d, 'request not answered by policy', (driver) =>
      refused(driver, 'C0123', 'U0AAA'),
    );
    for (const text of texts) expect(text).toMatch(/you're not on the list/);
    await answered(b, 'C0123', 'U0BBB', 'still answered');
  });

  it('follows an admin’s Home edit within 5 s in every process, and audits it', {
    timeout: 90_000,
  }, async () => {
    const d = await deployTwoWebs('policy-home', { HOME_COALESCE_MS: '100' });
    const [a, b] = d.drivers as [SlackDriver, SlackDriver];
    const admin = uniqueId('U');
    slack.setUser(admin, { is_admin: true });
    const channel = uniqueId('C');
    const prompt = `You are the release bot of ${channel}.`;
    const home = () => JSON.stringify(slack.homeView(admin)?.blocks ?? []);

    await a.homeOpened({ user: admin });
    await slack.waitFor(() => home().includes('Workspace defaults'), 15_000, 'the Admin section');
    /** The admin sets the channel's policy in the modal, through web process A; returns when it was sent. */
    const edit = async (respond: string) => {
      const opened = slack.calls('views.open').length;
      await a.blockAction({ user: admin, actionId: ID.editChannel, value: '', container: 'view' });
      await slack.waitFor(() => slack.calls('views.open').length > opened, 10_000, 'the modal');
      const modal = slack.modals(ID.modal).at(-1)!;
      const sent = Date.now();
      const { ack } = await a.submitView({
        user: admin,
        view: modal,
        values: {
          [ID.channelBlock]: { [ID.channelInput]: channel },
          [ID.respondBlock]: { [ID.respondInput]: respond },
          [ID.promptBlock]: { [ID.promptInput]: prompt },
        },
      });
      expect(ack.status).toBe(200);
      return sent;
    };

    // A system prompt for the channel: 5 s later, a request through web process B is answered with it.
    await untilLater(await edit('inherit'), EFFECT_MS);
    const question = await answered(b, channel, uniqueId('U'), 'release date');
    expect(llmRequestsFor(openai, question)[0]?.messages[0]).toEqual({ role: 'system', content: prompt });

    // The channel turned off: 5 s later every process refuses there, telling each user once.
    await untilLater(await edit('off'), EFFECT_MS);
    const texts = await refusedInEveryProcess(d, 'request not answered by policy', (driver) =>
      refused(driver, channel, uniqueId('U')),
    );
    for (const text of texts) expect(text).toMatch(new RegExp(`I've been turned off in <#${channel}>`));

    // Both edits are in the audit log on the admin's Home, by the admin.
    await a.homeOpened({ user: admin });
    await slack.waitFor(() => home().includes(`${channel} respond: (default) → off`), 10_000, 'the audit');
    expect(home()).toContain(`<@${admin}>: ${channel} systemPrompt: (default) → “You are the release bot`);
  });
});

describe('token budgets and usage', () => {
  it('refuses at the limit across processes: a user, then the whole workspace', {
    timeout: 90_000,
  }, async () => {
    const d = await deployTwoWebs('budgets', { USER_DAILY_TOKENS: '100', TEAM_DAILY_TOKENS: '200' });
    const [a, b] = d.drivers as [SlackDriver, SlackDriver];
    const usage = createUsageStore({ redis: client, keys: d.keys });
    const usedBy = (userId: string) => usage.usedToday({ teamId: slack.teamId, userId });
    const counted = async (userId: string, user: number, team: number) => {
      for (let i = 0; i < 100 && (await usedBy(userId)).team < team; i++) await sleep(50);
      expect(await usedBy(userId)).toEqual({ user, team });
    };
    const channel = uniqueId('C');
    const [x, y, z] = [uniqueId('U'), uniqueId('U'), uniqueId('U')];
    const resets = new Date(new Date().setUTCHours(24, 0, 0, 0)).toISOString().slice(0, 10);

    // X is answered through web process A, web process B, and in the background through the worker.
    await answered(a, channel, x);
    await answered(b, channel, x);
    await counted(x, 80, 80);
    const { ts } = await a.mention({ channel, user: x, text: 'later a summary please' });
    await slack.waitFor(() => slack.reactions(channel, ts).includes('white_check_mark'), 20_000, 'the badge');
    await counted(x, 120, 120);

    // X is past 100 tokens: refused privately through either process, with the reset time.
    const userTexts = await refusedInEveryProcess(d, 'request refused: daily token budget used', (driver) =>
      refused(driver, channel, x),
    );
    for (const text of userTexts)
      expect(text).toContain(
        `You've used your daily budget of 100 tokens, so I can't answer right now. It resets ${resets} 00:00 UTC`,
      );
    // Y is still answered, through both, until the workspace reaches its 200.
    await answered(b, channel, y);
    await answered(a, channel, y);
    await counted(y, 80, 200);
    const teamTexts = await refusedInEveryProcess(
      d,
      'request refused: daily token budget used',
      (driver, round) => refused(driver, channel, round % 2 ? y : z),
    );
    for (const text of teamTexts)
      expect(text).toContain(
        `This workspace has used its daily budget of 200 tokens, so I can't answer right now. It resets ${resets} 00:00 UTC`,
      );
  });

  it('shows each user their usage on Home, and admins the workspace’s with a chart', {
    timeout: 90_000,
  }, async () => {
    const d = await deployTwoWebs('usage', { USER_DAILY_TOKENS: '1000', HOME_COALESCE_MS: '100' });
    const [a, b] = d.drivers as [SlackDriver, SlackDriver];
    const admin = uniqueId('U');
    slack.setUser(admin, { is_admin: true });
    const channel = uniqueId('C');
    const [ua, ub] = [uniqueId('U'), uniqueId('U')];
    const blocksOf = (user: string) =>
      (slack.homeView(user)?.blocks ?? []) as { type: string; slack_file?: { id: string } }[];
    const home = (user: string) => JSON.stringify(blocksOf(user));

    await answered(a, channel, ua);
    await answered(b, channel, ua);
    await answered(a, channel, ub);

    // The user's own bar, through the other process.
    await b.homeOpened({ user: ua });
    await slack.waitFor(() => home(ua).includes('80 of 1,000 tokens today'), 15_000, 'the usage bar');
    expect(home(ua)).toContain('▰▱▱▱▱▱▱▱▱▱ 8% · 80 of 1,000 tokens today');
    expect(home(ua)).not.toContain('Workspace usage');
    expect(home(ua)).not.toContain('Workspace defaults');
    expect(blocksOf(ua).some((block) => block.type === 'image')).toBe(false);

    // The admin's: the workspace's usage, its top users, and the 30-day chart uploaded as a PNG.
    await a.homeOpened({ user: admin });
    const image = await slack.waitFor(
      () => blocksOf(admin).find((block) => block.type === 'image'),
      30_000,
      'the chart on the admin’s Home',
    );
    expect(home(admin)).toContain('Workspace usage');
    expect(home(admin)).toContain(`<@${ua}> 80 · <@${ub}> 40`);
    const file = slack.files().find((f) => f.id === image.slack_file?.id);
    expect(file?.completed).toBe(true);
    expect(file?.bytes?.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
  });
});
