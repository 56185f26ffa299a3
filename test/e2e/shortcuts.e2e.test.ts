import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_QUESTION } from '../../src/answer/shortcut-request.js';
import { SHORTCUT_IDS } from '../../src/out/views/shortcut-modal.js';
import { contentText } from '../../standins/llm/index.js';
import type { ThrowawayRedis } from '../../standins/redis-server.js';
import { startTestRedis } from '../support/processes.js';
import {
  ANSWER_END,
  answerText,
  botReplies,
  completeAnswers,
  deploy,
  fileStandins,
  llmRequestsFor,
  shownText,
  uniqueId,
  uniqueQuestion,
} from './helpers.js';

/**
 * The three message shortcuts through real processes (a web process and a worker), as Slack sends
 * them: `message_action` payloads on messages the Slack stand-in holds, and the modal's
 * `view_submission`.
 */
let redis: ThrowawayRedis;
const { slack, openai } = await fileStandins({ text: answerText });

beforeAll(async () => {
  redis = await startTestRedis();
});

const answers = (channel: string, threadTs: string) =>
  slack.messages(channel, threadTs).filter((m) => m.metadata?.event_type === 'backchannel_answer');
const questions = (channel: string, threadTs: string) =>
  slack.messages(channel, threadTs).filter((m) => m.metadata?.event_type === 'backchannel_question');
const responseTexts = (responseUrl: string) => {
  const id = responseUrl.split('/response/')[1];
  return slack.responses(id).map((r) => String(r.body.text ?? ''));
};
const homeText = (user: string) => JSON.stringify(slack.homeView(user)?.blocks ?? []);
/** What the last user turn of an LLM request said. */
const lastUserText = (r: ReturnType<typeof openai.requests>[number]) =>
  contentText([...r.messages].reverse().find((m) => m.role === 'user')?.content);

/** A thread of two people's messages the bot was never told about. */
const seedThread = (channel: string) => {
  const [alice, bob] = [uniqueId('U'), uniqueId('U')];
  const rootText = uniqueQuestion('the deploy on friday broke the billing export');
  const root = slack.addMessage({ channel, user: alice, text: rootText });
  const replyText = uniqueQuestion('rolled back at 3pm, export rerun tonight');
  const reply = slack.addMessage({ channel, user: bob, text: replyText, thread_ts: root.ts });
  return { alice, bob, root, rootText, reply, replyText };
};

describe('message shortcuts', () => {
  let d: Awaited<ReturnType<typeof deploy>>;
  beforeAll(async () => {
    d = await deploy({
      slack,
      openai,
      redisUrl: redis.url,
      name: 'shortcuts',
      extra: { HOME_COALESCE_MS: '100' },
    });
  }, 60_000);

  it('Summarize thread: summarises the whole thread in the background, with the ✅ badge and the Home inbox entry of the user who used it', {
    timeout: 45_000,
  }, async () => {
    const channel = uniqueId('C');
    const t = seedThread(channel);
    const carol = uniqueId('U');
    // Used on the reply: the thread it is in is summarised, root and all.
    const { ack } = await d.driver.messageShortcut({
      user: carol,
      callbackId: SHORTCUT_IDS.summarize,
      channel,
      messageTs: t.reply.ts,
    });
    expect(ack.status).toBe(200);
    const answer = await slack.waitFor(() => answers(channel, t.root.ts)[0], 20_000, 'the summary');
    expect(shownText(answer)).toContain(ANSWER_END);
    const [asked] = questions(channel, t.root.ts);
    expect(asked?.text).toContain(`<@${carol}> asked me to summarize this thread`);
    await slack.waitFor(() => slack.reactions(channel, asked!.ts).includes('white_check_mark'), 10_000);
    // The model saw the thread and the summary request, as the requester's turn.
    const [req] = openai.requests().filter((r) => lastUserText(r).includes(SUMMARY_QUESTION));
    expect(JSON.stringify(req?.messages)).toContain(t.rootText);
    expect(JSON.stringify(req?.messages)).toContain(t.replyText);
    // Nobody's message was badged but the bot's own question.
    expect(slack.reactions(channel, t.root.ts)).toEqual([]);
    await d.driver.homeOpened({ user: carol });
    // A Home published while the request was still queued already shows its title: wait for it unread.
    await slack.waitFor(
      () => homeText(carol).includes('Summarize this thread') && /📬 \*1\* unread/.test(homeText(carol)),
      10_000,
      'the Home entry, unread',
    );
    await d.driver.homeOpened({ user: t.alice });
    await slack.waitFor(() => slack.homeView(t.alice) !== undefined, 10_000);
    expect(homeText(t.alice)).not.toContain('Summarize this thread');
  });

  it('Answer in background: queues the message itself as a later question, owned by who used it', {
    timeout: 45_000,
  }, async () => {
    const channel = uniqueId('C');
    const t = seedThread(channel);
    const carol = uniqueId('U');
    await d.driver.messageShortcut({
      user: carol,
      callbackId: SHORTCUT_IDS.later,
      channel,
      messageTs: t.reply.ts,
    });
    const answer = await slack.waitFor(() => answers(channel, t.root.ts)[0], 20_000, 'the answer');
    expect(shownText(answer)).toContain(t.replyText);
    // The message is the question: the badge is on it, and the bot posted no question of its own.
    await slack.waitFor(() => slack.reactions(channel, t.reply.ts).includes('white_check_mark'), 10_000);
    expect(questions(channel, t.root.ts)).toEqual([]);
    const [req] = llmRequestsFor(openai, t.replyText);
    expect(lastUserText(req!)).toContain(t.replyText);
    await d.driver.homeOpened({ user: carol });
    await slack.waitFor(() => homeText(carol).includes('rolled back at 3pm'), 10_000, 'the Home entry');
  });

  it('Ask Backchannel about this: opens a modal quoting the message; the answer goes in its thread, which becomes a session', {
    timeout: 45_000,
  }, async () => {
    const channel = uniqueId('C');
    const t = seedThread(channel);
    const { ack } = await d.driver.messageShortcut({
      user: t.bob,
      callbackId: SHORTCUT_IDS.ask,
      channel,
      messageTs: t.root.ts,
    });
    expect(ack.status).toBe(200);
    const opened = await slack.waitForCall(
      'views.open',
      (c) => JSON.stringify(c.params).includes(t.rootText),
      {
        timeoutMs: 10_000,
      },
    );
    expect(opened.response?.ok).toBe(true);
    const modal = slack.modals(SHORTCUT_IDS.modal).find((v) => JSON.stringify(v.blocks).includes(t.rootText));
    expect(modal).toBeDefined();
    const question = uniqueQuestion('which customers were affected');
    const submitted = await d.driver.submitView({
      user: t.bob,
      view: modal!,
      values: { [SHORTCUT_IDS.questionBlock]: { [SHORTCUT_IDS.questionInput]: question } },
    });
    expect(submitted.ack.status).toBe(200);
    // In the foreground: streamed into the thread.
    await slack.waitFor(() => completeAnswers(slack, channel, t.root.ts, question)[0], 20_000, 'the answer');
    expect(questions(channel, t.root.ts)[0]?.text).toContain(question);
    // The model knew which message was meant.
    const [req] = llmRequestsFor(openai, question);
    expect(lastUserText(req!)).toContain(t.rootText);

    // The thread is now a session: a plain reply there is answered.
    const followUp = uniqueQuestion('and when will they be told');
    await d.driver.message({ channel, user: t.bob, text: followUp, threadTs: t.root.ts });
    await slack.waitFor(
      () => botReplies(slack, channel, t.root.ts).find((m) => shownText(m).includes(followUp)),
      20_000,
      'the follow-up answer',
    );
  });

  it('in a channel the bot is not in, tells the user privately how to invite it, and posts nothing', {
    timeout: 45_000,
  }, async () => {
    const channel = uniqueId('C');
    slack.setChannel(channel, { member: false });
    const t = seedThread(channel);
    const carol = uniqueId('U');
    const inviteNote = async (callbackId: string, messageTs: string) => {
      const used = await d.driver.messageShortcut({ user: carol, callbackId, channel, messageTs });
      await slack.waitFor(() => responseTexts(used.responseUrl)[0], 15_000, 'the private note');
      expect(responseTexts(used.responseUrl)[0]).toContain('/invite @Backchannel');
    };
    await inviteNote(SHORTCUT_IDS.summarize, t.root.ts);
    await inviteNote(SHORTCUT_IDS.later, t.reply.ts);

    const ask = await d.driver.messageShortcut({
      user: carol,
      callbackId: SHORTCUT_IDS.ask,
      channel,
      messageTs: t.root.ts,
    });
    const modal = await slack.waitFor(
      () => slack.modals(SHORTCUT_IDS.modal).find((v) => JSON.stringify(v.blocks).includes(t.rootText)),
      10_000,
    );
    await d.driver.submitView({
      user: carol,
      view: modal,
      values: { [SHORTCUT_IDS.questionBlock]: { [SHORTCUT_IDS.questionInput]: 'what happened?' } },
    });
    await slack.waitFor(() => responseTexts(ask.responseUrl)[0], 15_000, 'the private note');
    expect(responseTexts(ask.responseUrl)[0]).toContain('/invite @Backchannel');

    expect(slack.messages(channel).filter((m) => m.bot_id !== undefined)).toEqual([]);
    expect(slack.messages(channel, t.root.ts).filter((m) => m.bot_id !== undefined)).toEqual([]);
  });
});

describe('message shortcuts under the policy and the rate limit', () => {
  it('refuses a user off the allowlist, and one over the rate limit, privately like a mention', {
    timeout: 60_000,
  }, async () => {
    const [alice, mallory] = [uniqueId('U'), uniqueId('U')];
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'shortcut-policy-')), 'policy.json');
    writeFileSync(file, JSON.stringify({ allowedUsers: [alice] }));
    const d = await deploy({
      slack,
      openai,
      redisUrl: redis.url,
      name: 'shortcut-limits',
      extra: { POLICY_FILE: file, USER_RATE_LIMIT_PER_MINUTE: '1' },
    });
    const channel = uniqueId('C');
    const t = seedThread(channel);

    const refused = await d.driver.messageShortcut({
      user: mallory,
      callbackId: SHORTCUT_IDS.summarize,
      channel,
      messageTs: t.root.ts,
    });
    await slack.waitFor(() => responseTexts(refused.responseUrl)[0], 15_000, 'the refusal');
    expect(responseTexts(refused.responseUrl)[0]).toContain("you're not on the list");

    await d.driver.messageShortcut({
      user: alice,
      callbackId: SHORTCUT_IDS.later,
      channel,
      messageTs: t.root.ts,
    });
    await slack.waitFor(() => answers(channel, t.root.ts)[0], 20_000, 'the first answer');
    const second = await d.driver.messageShortcut({
      user: alice,
      callbackId: SHORTCUT_IDS.summarize,
      channel,
      messageTs: t.root.ts,
    });
    await slack.waitFor(() => responseTexts(second.responseUrl)[0], 15_000, 'the rate-limit note');
    expect(responseTexts(second.responseUrl)[0]).toContain('faster than I can answer');
    // Neither refusal left anything in the thread.
    expect(answers(channel, t.root.ts)).toHaveLength(1);
    expect(questions(channel, t.root.ts)).toEqual([]);
  });
});
