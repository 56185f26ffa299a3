import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDriver, type SlackDriver } from '../../standins/driver/index.js';
import { type CompletionRequest, contextEcho } from '../../standins/llm/index.js';
import { type BotProcess, type LogLine, startBot, waitFor } from '../support/processes.js';
import {
  ANSWER_END,
  answerText,
  botReplies,
  deploy,
  fileStandins,
  requestIdOf,
  SIGNING_SECRET,
  shownText,
  sleep,
  uniqueId,
  uniqueQuestion,
} from './helpers.js';

/**
 * Slack's native stop button on foreground answers, through the built bot: web processes
 * (`--role web`) and a worker on one Redis, the Slack and OpenAI stand-ins over loopback. The
 * driver presses stop as Slack does: the bot's streams in the thread are stopped first, then
 * `agent_session_stopped` names them.
 */
const { slack, openai } = await fileStandins({ text: answerText });
let redis: Redis;
let deployment: Awaited<ReturnType<typeof deploy>>;
let web: BotProcess;
let driver: SlackDriver;

/** An answer of `words` filler words, ending in ANSWER_END, at `perSecond` tokens a second. */
const answer = (words: number, perSecond: number) => ({
  ttftMs: 100,
  tokensPerSecond: perSecond,
  text: (req: CompletionRequest) => `${contextEcho(req.messages)} ${'word '.repeat(words)}${ANSWER_END}`,
});
/** About 10 s: a stop lands while it streams. */
const SLOW = answer(300, 30);
const FAST = { ttftMs: 0, tokensPerSecond: Number.POSITIVE_INFINITY, text: answerText };

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  deployment = await deploy({
    slack,
    openai,
    redisUrl: inject('redisUrl'),
    name: 'stop',
    extra: { HOME_COALESCE_MS: '100' },
  });
  ({ web, driver } = deployment);
});
afterAll(async () => {
  await redis?.quit();
});

const stateOf = (channel: string, ts: string) =>
  redis.hget(deployment.keys.request(requestIdOf(slack, channel, ts)), 'state');
/** Waits until the request of the message at `ts` is in `state`. */
const stateIs = (channel: string, ts: string, state: string, timeoutMs: number) =>
  waitFor(async () => (await stateOf(channel, ts)) === state, { timeoutMs, what: `the record ${state}` });
const shownIn = (channel: string, threadTs: string) =>
  botReplies(slack, channel, threadTs).map(shownText).join('\n');
/** The bot is streaming its answer into the thread. */
const streaming = (channel: string, threadTs: string) =>
  slack.waitFor(
    () =>
      botReplies(slack, channel, threadTs).find((m) => m.stream === 'streaming' && shownText(m).length > 40),
    15_000,
    'an answer streaming',
  );
const statusCalls = (channel: string, threadTs: string) =>
  slack
    .calls('agents.sessions.setStatus')
    .filter((c) => c.params.channel_id === channel && c.params.thread_ts === threadTs);

/** The statuses a thread's session was moved to, from the `from`-th call on. */
const statuses = (channel: string, threadTs: string, from = 0) =>
  statusCalls(channel, threadTs)
    .slice(from)
    .map((c) => c.params.status);

describe('the stop button on a foreground answer', () => {
  it('refuses a stranger privately, and the answer goes on to its end', { timeout: 45_000 }, async () => {
    openai.configure(answer(200, 30));
    const channel = uniqueId('C');
    const [alice, mallory] = [uniqueId('U'), uniqueId('U')];
    const { ts } = await driver.mention({ channel, user: alice, text: uniqueQuestion('a story') });
    await streaming(channel, ts);
    const d = await driver.sessionStopped({ channel, threadTs: ts, user: mallory });
    expect(d.ack.status).toBe(200);
    const eph = await slack.waitFor(() => slack.ephemerals(channel)[0], 10_000);
    expect(eph).toMatchObject({ user: mallory, thread_ts: ts });
    expect(eph.text).toContain(`<@${alice}>'s request`);
    await stateIs(channel, ts, 'done', 30_000);
    expect(shownIn(channel, ts)).toContain(ANSWER_END);
    expect(shownIn(channel, ts)).not.toContain('Stopped by');
    expect(openai.requests().at(-1)?.outcome).toBe('ok');
    // As for any answer no one stopped.
    expect(statuses(channel, ts)).toEqual(['processing', 'active']);
  });

  it('lets a workspace admin who has written in the thread stop it', { timeout: 45_000 }, async () => {
    openai.configure(SLOW);
    const channel = uniqueId('C');
    const [admin, bob] = [uniqueId('U'), uniqueId('U')];
    slack.setUser(admin, { is_admin: true });
    const root = slack.addMessage({ channel, user: admin, text: 'Incident review: ask the bot' });
    const { ts } = await driver.mention({
      channel,
      user: bob,
      text: uniqueQuestion('summarise'),
      threadTs: root.ts,
    });
    await streaming(channel, root.ts);
    await driver.sessionStopped({ channel, threadTs: root.ts, user: admin });
    await slack.waitFor(() => shownIn(channel, root.ts).includes(`Stopped by <@${admin}>`), 10_000);
    await stateIs(channel, ts, 'cancelled', 10_000);
    await openai.waitFor(
      () => openai.requests().at(-1)?.outcome === 'client_closed',
      5_000,
      'the LLM call aborted',
    );
    expect(slack.ephemerals(channel)).toHaveLength(0);
    // Started, then ended once by the answer itself as it stopped.
    expect(statuses(channel, root.ts)).toEqual(['processing', 'active']);
  });

  it('only moves the status when the answer has already finished', { timeout: 30_000 }, async () => {
    openai.configure(FAST);
    const channel = uniqueId('C');
    const alice = uniqueId('U');
    const { ts } = await driver.mention({ channel, user: alice, text: uniqueQuestion('quick') });
    await stateIs(channel, ts, 'done', 15_000);
    const before = shownIn(channel, ts);
    const mark = statusCalls(channel, ts).length;
    await driver.sessionStopped({ channel, threadTs: ts, user: alice });
    const call = await slack.waitFor(() => statusCalls(channel, ts)[mark], 10_000);
    expect(call.params).toMatchObject({ channel_id: channel, thread_ts: ts, status: 'active' });
    await sleep(300);
    expect(shownIn(channel, ts)).toBe(before);
    expect(await stateOf(channel, ts)).toBe('done');
    expect(slack.ephemerals(channel)).toHaveLength(0);
  });
});

describe('a stop handled by another web process', () => {
  it('stops the stream within a second, keeps its text and marks who stopped it', {
    timeout: 60_000,
  }, async () => {
    // About 30 s (MAX_ANSWER_TOKENS): it must outlast starting a process and a drain.
    openai.configure(answer(2_000, 30));
    const channel = uniqueId('C');
    const alice = uniqueId('U');
    // Only `web` runs now: the answer is its.
    const { ts } = await driver.mention({ channel, user: alice, text: uniqueQuestion('an essay') });
    const stream = await streaming(channel, ts);
    const other = await startBot({ role: 'web', env: deployment.env, cwd: deployment.cwd });
    // `web` drains (as in a rolling deploy): it takes no new work, so the stop can only be handled
    // by `other`, while its answer streams on. BullMQ's worker may sit in one more blocking wait for
    // new jobs (up to 5 s) after it stops taking them; past that, every new job goes to `other`.
    await sleep(1_000);
    const draining = web.stop(30_000);
    await sleep(5_500);
    expect(botReplies(slack, channel, ts).find((m) => m.ts === stream.ts)?.stream).toBe('streaming');

    const otherDriver = createDriver({ url: other.url, signingSecret: SIGNING_SECRET, slack });
    const d = await otherDriver.sessionStopped({ channel, threadTs: ts, user: alice });
    expect(d.ack.status).toBe(200);
    const clicked = Date.now();
    const note = await slack.waitFor(
      () => botReplies(slack, channel, ts).find((m) => shownText(m).includes(`Stopped by <@${alice}>`)),
      5_000,
      'the stop note',
    );
    const stoppedInMs = Date.now() - clicked;
    expect(stoppedInMs).toBeLessThan(1_000);
    // The stream keeps what it showed; the note follows it, once.
    const kept = slack.message(channel, stream.ts);
    expect(kept?.stream).toBe('stopped');
    expect(shownText(kept!).length).toBeGreaterThan(40);
    expect(shownIn(channel, ts).match(/Stopped by/g)).toHaveLength(1);
    expect(note.ts > stream.ts).toBe(true);
    await stateIs(channel, ts, 'cancelled', 5_000);
    expect(openai.requests().at(-1)?.outcome).toBe('client_closed');
    // Handled in `other`, stopped in `web`, which then finishes draining.
    const clickHere = (l: LogLine) => l.msg === 'stop clicked' && l.fields.threadTs === ts;
    await other.waitForLog(clickHere, 1_000);
    expect(web.logs().some(clickHere)).toBe(false);
    await web.waitForLog(
      (l) => l.msg === 'stopping foreground answer' && l.fields.stoppedBy === alice,
      1_000,
    );
    expect((await draining).code).toBe(0);
    console.info(`stop e2e: stopped in another web process within ${stoppedInMs} ms of the click`);
  });
});
