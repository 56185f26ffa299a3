import { readMark } from '../src/out/metadata.js';
import { ACTION_IDS } from '../src/out/views/actions.js';
import { SHORTCUT_IDS } from '../src/out/views/shortcut-modal.js';
import { botReplies, feedbackButtonsOf } from '../standins/slack/index.js';
import {
  ALICE,
  acked,
  badges,
  buttonValue,
  CHANNEL,
  check,
  commandRoot,
  type Demo,
  followAnswer,
  homeShowsUnread,
  indent,
  names,
  out,
  reactionAdds,
  STANDIN_PACE,
  STEP_TIMEOUT_MS,
  sessionLine,
  sleep,
  step,
  thread,
  wait,
  width,
} from './demo-kit.js';
import { messageText, renderView, slackText } from './render.js';

/** `npm run demo`'s conversation: what Alice does in Slack, step by step, and what she sees. */

/** The file Alice shares: a small CSV, as a spreadsheet export would be. */
const SALES_CSV = [
  'region,quarter,revenue,notes',
  'North,Q1,1200,"steady, as planned"',
  'South,Q1,950,new store',
  'East,Q1,1730,"best ""ever"" quarter"',
  'West,Q1,610,',
].join('\n');

export const conversation = async (d: Demo) => {
  let rootTs = '';
  let csvTs = '';

  await step('Alice mentions @Backchannel at the top of #general', async () => {
    const q = await d.driver.mention({ channel: CHANNEL, user: ALICE, text: 'what is a backchannel?' });
    for (const ack of q.acks) acked(ack.status, 'the mention');
    rootTs = q.ts;
    out(`   Alice: @Backchannel what is a backchannel?`);
    const answer = await followAnswer(d, rootTs, 0);
    const appends = d.slack.calls('chat.appendStream').filter((c) => c.params.ts === answer.ts).length;
    check(answer.stream === 'stopped', 'the answer was not streamed (chat.startStream … stopStream)');
    out(`   ${await sessionLine(d, rootTs, 'processing → active')}`);
    return `answered in its thread, streamed (chat.startStream, ${appends} append${appends === 1 ? '' : 's'}, stopStream)`;
  });

  await step('Alice follows up in the thread, without a mention', async () => {
    const requestsBefore = d.llm?.requests().length ?? 0;
    const q = await d.driver.message({
      channel: CHANNEL,
      user: ALICE,
      text: 'and why would I use one?',
      threadTs: rootTs,
    });
    acked(q.ack.status, 'the follow-up');
    out('   Alice: and why would I use one?');
    await followAnswer(d, rootTs, 1);
    const sent = d.llm?.requests()[requestsBefore];
    if (!sent) return 'answered in the thread';
    const roles = sent.messages.map((m) => m.role);
    check(
      roles.join() === 'system,user,assistant,user',
      `the model did not get the thread as context (roles: ${roles.join(', ')})`,
    );
    return 'answered with the thread as context (system, question, answer, follow-up)';
  });
  out();
  out(indent(thread(d, rootTs)));

  await step('Alice clicks 👍 under the answer', async () => {
    const answer = await wait(d, 'the 👍/👎 buttons under the last answer', () =>
      botReplies(d.slack, CHANNEL, rootTs)
        .filter((m) => feedbackButtonsOf(m))
        .at(-1),
    );
    const sentBefore = d.slack.ephemerals(CHANNEL).length;
    const click = await d.driver.feedback({
      user: ALICE,
      channel: CHANNEL,
      messageTs: answer.ts,
      vote: 'positive',
    });
    acked(click.ack.status, 'the 👍 click');
    const thanks = await wait(d, 'the private thank-you', () =>
      d.slack
        .ephemerals(CHANNEL)
        .slice(sentBefore)
        .find((e) => e.user === ALICE),
    );
    out(`   (only visible to you) Backchannel: ${slackText(thanks.text ?? '', names)}`);
    return 'rating stored once for Alice (a second click would replace it); thanked privately, with Tell us more';
  });

  const laterQuestion = 'what makes a good standup update?';
  let laterTs = '';
  await step(`Alice types /ask later ${laterQuestion}`, async () => {
    const cmd = await d.driver.command({ text: `later ${laterQuestion}`, user: ALICE, channel: CHANNEL });
    acked(cmd.ack.status, '/ask');
    const root = await commandRoot(d, laterQuestion);
    laterTs = root.ts;
    const queuedNote = await wait(d, 'the ⏳ note in the thread', () =>
      d.slack.messages(CHANNEL, laterTs).find((m) => readMark(m.metadata)?.type === 'note'),
    );
    out(`   ${slackText(queuedNote.text ?? '', names)} (the web process has handed it to the queue)`);
    await wait(d, 'the ✅ badge on the thread root', () => {
      const now = d.slack.reactions(CHANNEL, laterTs);
      return now.length === 1 && now[0] === 'white_check_mark';
    });
    await d.worker.waitForLog((l) => l.msg === 'background answer posted', STEP_TIMEOUT_MS);
    const answers = d.slack.messages(CHANNEL, laterTs).filter((m) => readMark(m.metadata)?.type === 'answer');
    check(answers.length === 1, `expected one answer in the thread, found ${answers.length}`);
    // The note became the answer, in place: one bot message in the thread, one badge.
    check(answers[0]?.ts === queuedNote.ts, 'expected the queued note to have become the answer');
    const order = reactionAdds(d, laterTs);
    check(order.join() === 'white_check_mark', `expected one ✅ badge, got ${order.join(' → ')}`);
    return `answered by the worker process in its ⏳ note, edited in place; badge ${badges(order)}`;
  });
  out();
  out(indent(thread(d, laterTs)));

  await step('Alice opens the Home tab, clicks View result, and looks again', async () => {
    const openedAt = Date.now();
    await d.driver.homeOpened({ user: ALICE });
    const before = await wait(d, 'a Home view with the unread result', () => {
      const published = d.slack.calls('views.publish').some((c) => c.at >= openedAt && c.status === 200);
      const view = d.slack.homeView(ALICE);
      return published && homeShowsUnread(view) && buttonValue(view, ACTION_IDS.viewResult)
        ? view
        : undefined;
    });
    out();
    out(indent(renderView(before, names, { width: width - 3 })));
    const requestId = buttonValue(before, ACTION_IDS.viewResult)!;

    const clickedAt = Date.now();
    const click = await d.driver.blockAction({
      user: ALICE,
      actionId: ACTION_IDS.viewResult,
      value: requestId,
      label: 'View result',
      container: 'view',
    });
    acked(click.ack.status, 'the View result click');
    const opened = await wait(d, 'the result modal (views.open)', () =>
      d.slack.calls('views.open').find((c) => c.at >= clickedAt && c.status === 200 && c.response?.ok),
    );
    out();
    out(`   [View result] → views.open:`);
    out(indent(renderView(opened.params.view as { blocks: unknown[] }, names, { width: width - 3 })));
    const after = await wait(d, 'the Home view re-published without the 📬 mark', () => {
      const published = d.slack.calls('views.publish').some((c) => c.at >= clickedAt && c.status === 200);
      const view = d.slack.homeView(ALICE);
      return published && !homeShowsUnread(view) ? view : undefined;
    });
    out();
    out('   The Home tab afterwards:');
    out(indent(renderView(after, names, { width: width - 3 })));
    return 'result shown in a modal; 📬 cleared';
  });

  const slowQuestion = 'write a detailed history of IRC backchannels';
  let slowTs = '';
  await step(`Alice asks /ask later ${slowQuestion}, then /ask cancel`, async () => {
    // Slow enough to still be running when the cancel arrives.
    d.llm?.configure({ ttftMs: 1_000, tokensPerSecond: 10 });
    const requestsBefore = d.llm?.requests().length ?? 0;
    const cmd = await d.driver.command({ text: `later ${slowQuestion}`, user: ALICE, channel: CHANNEL });
    acked(cmd.ack.status, '/ask later');
    const root = await commandRoot(d, slowQuestion);
    slowTs = root.ts;
    await wait(d, 'the queued note', () => botReplies(d.slack, CHANNEL, slowTs).length > 0);
    if (d.llm) {
      await d.llm.waitForRequests(requestsBefore + 1, STEP_TIMEOUT_MS);
      out('   ⏳ queued, and the worker is running it (the stand-in LLM is slow on purpose)');
      await sleep(500);
    } else {
      out('   ⏳ queued');
    }
    const cancel = await d.driver.command({ text: 'cancel', user: ALICE, channel: CHANNEL });
    acked(cancel.ack.status, '/ask cancel');
    const response = await wait(d, 'the private reply to /ask cancel', () =>
      cancel.responseId ? d.slack.responses(cancel.responseId)[0] : undefined,
    );
    out(`   (only visible to you) Backchannel: ${slackText(String(response.body.text ?? ''), names)}`);
    check(/Cancel/.test(String(response.body.text)), 'the cancel was refused');
    await wait(d, 'the 🚫 note in the thread', () =>
      botReplies(d.slack, CHANNEL, slowTs).find((m) => messageText(m).includes('Cancelled')),
    );
    await wait(d, 'the 🚫 badge on the thread root', () => {
      const now = d.slack.reactions(CHANNEL, slowTs);
      return now.length === 1 && now[0] === 'no_entry_sign';
    });
    const answered = d.slack.messages(CHANNEL, slowTs).some((m) => readMark(m.metadata)?.type === 'answer');
    check(!answered, 'an answer was posted despite the cancel');
    if (d.llm) {
      const call = d.llm.requests()[requestsBefore];
      await wait(d, 'the worker to abort its LLM call', () => call?.outcome === 'client_closed');
    }
    d.llm?.configure(STANDIN_PACE);
    return `cancelled${d.llm ? ' (the worker aborted its LLM call)' : ''}: the thread says so; badge ${badges(reactionAdds(d, slowTs))}`;
  });
  out();
  out(indent(thread(d, slowTs)));

  let stopTs = '';
  await step('Alice asks for a long essay, then presses Stop on the agent session', async () => {
    d.llm?.configure({ ttftMs: 300, tokensPerSecond: 15 });
    const requestsBefore = d.llm?.requests().length ?? 0;
    const q = await d.driver.mention({ channel: CHANNEL, user: ALICE, text: 'write me the history of IRC' });
    for (const ack of q.acks) acked(ack.status, 'the mention');
    out('   Alice: @Backchannel write me the history of IRC');
    await wait(d, 'the answer streaming', () =>
      botReplies(d.slack, CHANNEL, q.ts).find((m) => m.stream === 'streaming' && m.text.length > 40),
    );
    const stop = await d.driver.sessionStopped({ channel: CHANNEL, threadTs: q.ts, user: ALICE });
    acked(stop.ack.status, 'the stop');
    out('   [■ Stop] pressed while the answer streams');
    await wait(d, 'the “Stopped by” note', () =>
      botReplies(d.slack, CHANNEL, q.ts).find((m) => messageText(m).includes('Stopped by')),
    );
    if (d.llm) {
      const call = d.llm.requests()[requestsBefore];
      await wait(d, 'the LLM call aborted', () => call?.outcome === 'client_closed');
    }
    out(`   ${await sessionLine(d, q.ts, 'processing → active')}`);
    d.llm?.configure(STANDIN_PACE);
    stopTs = q.ts;
    return `stopped${d.llm ? ' (the LLM call aborted)' : ''}: the text shown so far stays, and the thread says who stopped it`;
  });
  out();
  out(indent(thread(d, stopTs)));

  await step('Alice shares sales.csv in #general and asks about it', async () => {
    const question = 'which region sold the most in Q1?';
    const requestsBefore = d.llm?.requests().length ?? 0;
    const q = await d.driver.mention({
      channel: CHANNEL,
      user: ALICE,
      text: question,
      files: [{ name: 'sales.csv', bytes: Buffer.from(SALES_CSV), mimetype: 'text/csv', filetype: 'csv' }],
    });
    for (const ack of q.acks) acked(ack.status, 'the mention with a file');
    csvTs = q.ts;
    out(`   Alice: @Backchannel ${question}   📎 sales.csv`);
    await followAnswer(d, csvTs, 0);
    const downloads = d.slack.fileDownloads().filter((f) => f.status === 200);
    check(downloads.length > 0, 'the bot did not download sales.csv');
    const sent = d.llm?.requests()[requestsBefore];
    if (!sent) return 'answered with the file read (downloaded with the bot token)';
    const prompt = JSON.stringify(sent.messages);
    check(prompt.includes('East') && prompt.includes('1730'), 'the CSV rows did not reach the model');
    return `answered with the CSV as a table in the model's context (downloaded ${downloads.length}× with the bot token)`;
  });
  out();
  out(indent(thread(d, csvTs)));

  await step('Alice uses the message shortcut “Summarize thread” on her first thread', async () => {
    const sc = await d.driver.messageShortcut({
      user: ALICE,
      callbackId: SHORTCUT_IDS.summarize,
      channel: CHANNEL,
      messageTs: rootTs,
    });
    acked(sc.ack.status, 'the shortcut');
    const marked = (type: string) =>
      d.slack.messages(CHANNEL, rootTs).filter((m) => readMark(m.metadata)?.type === type);
    const asked = await wait(d, 'the summary request in the thread', () => marked('question')[0]);
    out(`   ${slackText(asked.text ?? '', names)}`);
    const after = (m: { ts: string }) => Number(m.ts) > Number(asked.ts);
    const queuedNote = await wait(d, 'the ⏳ note in the thread', () => marked('note').find(after));
    out(`   ${slackText(queuedNote.text ?? '', names)} (queued for the worker, like /ask later)`);
    await wait(d, 'the ✅ badge on the summary request', () => {
      const now = d.slack.reactions(CHANNEL, asked.ts);
      return now.length === 1 && now[0] === 'white_check_mark';
    });
    const summaries = marked('answer').filter(after);
    check(summaries.length === 1, `expected one summary in the thread, found ${summaries.length}`);
    return `summarised in the background, in the thread; badge ${badges(reactionAdds(d, asked.ts))}, and a Home inbox entry`;
  });
  out();
  out(indent(thread(d, rootTs)));
};
