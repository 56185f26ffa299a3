import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readMark } from '../src/out/metadata.js';
import { ACTION_IDS } from '../src/out/views/actions.js';
import { createDriver, type SlackDriver } from '../standins/driver/index.js';
import {
  type CompletionRequest,
  contentText,
  type OpenAIStandin,
  startOpenAI,
} from '../standins/llm/index.js';
import { type BotProcess, botEnv, startBot, startTestRedis, stopAll } from '../standins/processes.js';
import {
  botReplies,
  type SlackApiStandin,
  type StoredMessage,
  settled,
  startSlackApi,
} from '../standins/slack/index.js';
import {
  displayWidth,
  emoji,
  messageText,
  type Names,
  renderThread,
  renderView,
  slackText,
} from './render.js';

/**
 * `npm run demo`: Backchannel at work with no Slack workspace and no API key. It starts a throwaway
 * `redis-server`, the Slack Web API and OpenAI stand-ins, and the built bot as two real processes
 * (`--role web` and `--role worker`), then plays a short conversation through signed Slack requests
 * and prints it as a Slack user would see it. Each step waits with a deadline; a step that does not
 * happen fails the demo (exit 1). Every child is stopped on the way out, on failure and Ctrl-C too.
 *
 * With OPENAI_API_KEY or OPENAI_BASE_URL set, the bot talks to that LLM instead of the stand-in;
 * the steps then check only what Slack shows, never what the answer says.
 */

const SIGNING_SECRET = 'demo-signing-secret';
const TEAM = 'T0DEMO';
const BOT = 'U0BOT';
const ALICE = 'UALICE';
const CHANNEL = 'CGENERAL';
const names: Names = {
  users: { [BOT]: 'Backchannel', [ALICE]: 'Alice' },
  channels: { [CHANNEL]: 'general' },
};

const realLlm = Boolean(process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL);
/** A real LLM can take its time; the stand-in answers in about a second. */
const STEP_TIMEOUT_MS = realLlm ? 90_000 : 20_000;
/** The stand-in's pace: slow enough that streaming shows, fast enough that the demo takes seconds. */
const STANDIN_PACE = { ttftMs: 300, tokensPerSecond: 40 };

const width = Math.min(110, Math.max(60, process.stdout.columns ?? 100));
const out = (text = '') => process.stdout.write(`${text}\n`);
const indent = (text: string, by = '   ') =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : `${by}${l}`))
    .join('\n');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ----- the stand-in LLM's script --------------------------------------------------------------

const HISTORY_OF_IRC = Array.from(
  { length: 40 },
  (_, i) =>
    `Chapter ${i + 1}: in which the backchannel grows, the channel scrolls on, and someone asks for a summary.`,
).join('\n');

/**
 * Canned answers, so the transcript reads like a conversation; each ends with how many messages of
 * context the model got, which shows the thread arriving as context.
 */
const standinAnswer = (req: CompletionRequest): string => {
  const lastUser = [...req.messages].reverse().find((m) => m.role === 'user');
  const asked = contentText(lastUser?.content).toLowerCase();
  const body = asked.includes('history')
    ? HISTORY_OF_IRC
    : asked.includes('why would')
      ? [
          'Because it keeps the main channel readable while the detail still happens in the open:',
          '- side questions, links and "wait, what?" moments go to the thread, not over the main topic;',
          '- whoever cares follows the thread, everyone else scrolls past one line;',
          '- and the whole exchange stays in one place for whoever comes later.',
        ].join('\n')
      : asked.includes('standup')
        ? 'A good standup update says what you finished, what you are doing next, and what blocks you — in three short lines, with links instead of explanations.'
        : asked.includes('backchannel')
          ? 'A **backchannel** is a side conversation that runs alongside the main one. At a conference it is the chat going on while someone speaks; in Slack it is a thread, where a few people can dig into a question without interrupting everyone else in the channel.'
          : `You asked: “${asked.slice(0, 80)}”.`;
  return `${body}\n\n_(stand-in LLM: ${req.messages.length} messages of context)_`;
};

// ----- what Slack shows ------------------------------------------------------------------------

interface Demo {
  slack: SlackApiStandin;
  llm: OpenAIStandin | undefined;
  driver: SlackDriver;
  web: BotProcess;
  worker: BotProcess;
}

const thread = (d: Demo, threadTs: string) =>
  renderThread(CHANNEL, d.slack.messages(CHANNEL, threadTs), names, { width: width - 3 });

const reactionAdds = (d: Demo, ts: string) =>
  d.slack
    .calls('reactions.add')
    .filter((c) => c.params.timestamp === ts && c.status === 200 && c.response?.ok === true)
    .map((c) => String(c.params.name));

/** The badges a message got, in order: `⏳ → ✅`. */
const badges = (reactions: string[]) => reactions.map(emoji).join(' → ');

const wait = <T>(d: Demo, what: string, probe: () => T | undefined | null | false): Promise<T> =>
  d.slack.waitFor(probe, STEP_TIMEOUT_MS, what);

/**
 * Waits for the bot's next finished reply in a thread and, while it streams, prints its text as it
 * grows, as the Slack client shows it.
 */
const followAnswer = async (d: Demo, threadTs: string, before: number): Promise<StoredMessage> => {
  let printed = '';
  const prefix = '   Backchannel: ';
  let lineStart = false;
  const write = (text: string) => {
    for (const ch of text) {
      if (ch !== '\n' && lineStart) process.stdout.write(' '.repeat(prefix.length));
      lineStart = ch === '\n';
      process.stdout.write(ch);
    }
  };
  const reply = await wait(d, 'the answer in the thread', () => {
    const next = botReplies(d.slack, CHANNEL, threadTs)[before];
    if (!next) return undefined;
    if (next.stream !== undefined) {
      const text = slackText(next.text, names);
      if (text.startsWith(printed) && text.length > printed.length) {
        if (printed === '') process.stdout.write(prefix);
        write(text.slice(printed.length));
        printed = text;
      }
    }
    return settled(next) ? next : undefined;
  });
  if (printed !== '') out();
  return reply;
};

// ----- the steps ---------------------------------------------------------------------------------

class StepFailed extends Error {}

let stepNo = 0;
const step = async (title: string, run: () => Promise<string>): Promise<void> => {
  stepNo += 1;
  out();
  out(`${stepNo}. ${title}`);
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const summary = await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no result within ${seconds(STEP_TIMEOUT_MS)}`)),
          STEP_TIMEOUT_MS + 2_000,
        );
      }),
    ]);
    out(`   ✓ ${summary} (${seconds(performance.now() - started)})`);
  } catch (err) {
    throw new StepFailed(`step ${stepNo} (${title}) failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
};

const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(what);
};

const acked = (status: number, what: string) =>
  check(status === 200, `${what} was not acknowledged (HTTP ${status})`);

/** The thread root the bot posts for `/ask <question>`. */
const commandRoot = (d: Demo, question: string) =>
  wait(d, `the thread root for “/ask ${question}”`, () =>
    d.slack
      .messages(CHANNEL)
      .find(
        (m) =>
          m.bot_id !== undefined &&
          (m.thread_ts === undefined || m.thread_ts === m.ts) &&
          m.metadata?.event_payload.question === question,
      ),
  );

/** The Home view's first button with this action id. */
const buttonValue = (view: { blocks: unknown[] } | undefined, actionId: string): string | undefined => {
  for (const block of view?.blocks ?? []) {
    const elements = (block as { elements?: unknown[] }).elements ?? [];
    for (const el of elements) {
      const b = el as { action_id?: string; value?: string };
      if (b.action_id === actionId) return b.value;
    }
  }
  return undefined;
};

/** The thread's agent session as Slack shows it: its title and the statuses it went through. */
const sessionLine = async (d: Demo, threadTs: string, expected: string) => {
  const history = () => d.slack.sessionHistory(CHANNEL, threadTs).join(' → ');
  await wait(
    d,
    `the agent session to go ${expected} (it went ${history() || 'nowhere'})`,
    () => history() === expected,
  );
  return `agent session “${d.slack.sessionStatus(CHANNEL, threadTs)?.title ?? ''}”: ${history()}`;
};

const homeShowsUnread = (view: { blocks: unknown[] } | undefined) =>
  buttonValue(view, ACTION_IDS.markRead) !== undefined;

const conversation = async (d: Demo) => {
  let rootTs = '';

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

  const laterQuestion = 'what makes a good standup update?';
  let laterTs = '';
  await step(`Alice types /ask later ${laterQuestion}`, async () => {
    const cmd = await d.driver.command({ text: `later ${laterQuestion}`, user: ALICE, channel: CHANNEL });
    acked(cmd.ack.status, '/ask');
    const root = await commandRoot(d, laterQuestion);
    laterTs = root.ts;
    await wait(d, 'the ⏳ badge on the thread root', () =>
      reactionAdds(d, laterTs).includes('hourglass_flowing_sand'),
    );
    out('   ⏳ queued; the web process has handed it to the queue');
    await wait(d, 'the ✅ badge on the thread root', () => {
      const now = d.slack.reactions(CHANNEL, laterTs);
      return now.length === 1 && now[0] === 'white_check_mark';
    });
    await d.worker.waitForLog((l) => l.msg === 'background answer posted', STEP_TIMEOUT_MS);
    const answers = d.slack.messages(CHANNEL, laterTs).filter((m) => readMark(m.metadata)?.type === 'answer');
    check(answers.length === 1, `expected one answer in the thread, found ${answers.length}`);
    const order = reactionAdds(d, laterTs);
    check(
      order.indexOf('hourglass_flowing_sand') < order.indexOf('white_check_mark'),
      `badges out of order: ${order.join(' → ')}`,
    );
    out(`   ${await sessionLine(d, laterTs, 'suspended → processing → active')}`);
    return `answered by the worker process; badge ${badges(order)}`;
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
};

// ----- start, run, stop ----------------------------------------------------------------------------

const main = async (): Promise<number> => {
  const started = performance.now();
  const workDir = mkdtempSync(path.join(tmpdir(), 'backchannel-demo-'));
  let slack: SlackApiStandin | undefined;
  let llm: OpenAIStandin | undefined;
  const bots: BotProcess[] = [];

  let redisDir: string | undefined;
  /** Set by Ctrl-C or SIGTERM: the exit code to leave with. */
  let interrupted: number | undefined;

  let stopping: Promise<void> | undefined;
  const cleanup = () => {
    stopping ??= (async () => {
      // The bots first, while Redis still answers, so their shutdown is the clean one; then Redis.
      // After Ctrl-C Redis is usually gone already (it shares the terminal's process group): no waiting.
      await Promise.allSettled(bots.map((b) => b.stop(interrupted ? 2_000 : 10_000)));
      await stopAll();
      await Promise.allSettled([slack?.close(), llm?.close()]);
      for (const dir of [workDir, redisDir]) if (dir) rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const stoppedLine = (since: number) =>
    `Stopped redis-server and both bot processes (${seconds(performance.now() - since)}).`;
  const onSignal = (signal: NodeJS.Signals, code: number) => () => {
    if (interrupted !== undefined) process.exit(code); // a second Ctrl-C: the exit handler of processes.ts SIGKILLs the rest
    interrupted = code;
    const since = performance.now();
    process.stderr.write(`\n${signal}: stopping redis-server and the bot processes…\n`);
    setTimeout(() => process.exit(code), 15_000).unref();
    void cleanup().finally(() => {
      out(stoppedLine(since));
      process.exit(code);
    });
  };
  process.on('SIGINT', onSignal('SIGINT', 130));
  process.on('SIGTERM', onSignal('SIGTERM', 143));

  out(
    realLlm
      ? 'Backchannel demo: a Slack conversation with no Slack workspace, answered by your LLM.'
      : 'Backchannel demo: a Slack conversation with no Slack workspace and no API key.',
  );
  try {
    const redis = await startTestRedis();
    redisDir = redis.dir;
    [slack, llm] = await Promise.all([
      startSlackApi({
        teamId: TEAM,
        botUserId: BOT,
        users: { [ALICE]: { name: 'alice', real_name: 'Alice Liddell', display_name: 'Alice' } },
      }),
      realLlm ? Promise.resolve(undefined) : startOpenAI({ ...STANDIN_PACE, text: standinAnswer }),
    ]);
    slack.setChannel(CHANNEL, { name: 'general' });
    const pass = (key: string) => (process.env[key] !== undefined ? { [key]: process.env[key] } : {});
    const env = botEnv({
      slackApiUrl: slack.apiUrl,
      openaiBaseUrl: llm?.baseUrl ?? '',
      redisUrl: redis.url,
      signingSecret: SIGNING_SECRET,
      extra: {
        REDIS_PREFIX: 'demo',
        // Home re-publishes are coalesced; a short window keeps the demo quick.
        HOME_COALESCE_MS: '200',
        SHUTDOWN_TIMEOUT_MS: '5000',
        ...(llm
          ? {}
          : {
              OPENAI_BASE_URL: process.env.OPENAI_BASE_URL,
              OPENAI_API_KEY: process.env.OPENAI_API_KEY,
              ...pass('OPENAI_MODEL'),
              ...pass('SYSTEM_PROMPT'),
              ...pass('MAX_ANSWER_TOKENS'),
              ...pass('LLM_TIMEOUT_MS'),
            }),
      },
    });
    // An empty working directory: the bot loads ./.env when there is one, and a developer's must not leak in.
    const [web, worker] = await Promise.all(
      (['web', 'worker'] as const).map((role) => startBot({ role, env, cwd: workDir, ready: 'healthz' })),
    );
    bots.push(web!, worker!);
    const d: Demo = {
      slack,
      llm,
      driver: createDriver({ url: web!.url, signingSecret: SIGNING_SECRET, slack }),
      web: web!,
      worker: worker!,
    };
    const rows: [string, string][] = [
      ['redis-server', `${redis.url} (throwaway, data in ${redis.dir})`],
      ['Slack API', `stand-in at ${slack.apiUrl}`],
      [
        'LLM',
        llm
          ? `stand-in at ${llm.baseUrl}, ${STANDIN_PACE.tokensPerSecond} tokens/s (set OPENAI_API_KEY or OPENAI_BASE_URL for a real one)`
          : `${process.env.OPENAI_BASE_URL ?? 'OpenAI'}, model ${process.env.OPENAI_MODEL ?? 'gpt-4o-mini'}`,
      ],
      ['web process', `pid ${web!.pid}, ${web!.url}/slack/events  (node dist/src/main.js --role web)`],
      ['worker process', `pid ${worker!.pid}  (node dist/src/main.js --role worker)`],
    ];
    const col = Math.max(...rows.map(([k]) => displayWidth(k)));
    for (const [k, v] of rows) out(`   ${k.padEnd(col)}  ${v}`);
    out(`   started in ${seconds(performance.now() - started)}`);

    await conversation(d);
    out();
    out(`All ${stepNo} steps happened, in ${seconds(performance.now() - started)}.`);
    return 0;
  } catch (err) {
    if (interrupted !== undefined) return interrupted;
    out();
    process.stderr.write(
      `✗ ${err instanceof StepFailed ? err.message : `the demo failed: ${(err as Error).message}`}\n`,
    );
    for (const bot of bots) {
      const exit = bot.exitInfo();
      if (exit) process.stderr.write(`the ${bot.role} process had exited (${exit.code ?? exit.signal})\n`);
      const tail = bot
        .logs()
        .filter((l) => (l.level ?? 50) >= 40)
        .slice(-10)
        .map((l) => l.raw);
      if (tail.length > 0)
        process.stderr.write(`\nlast warnings and errors of the ${bot.role} process:\n${tail.join('\n')}\n`);
    }
    return 1;
  } finally {
    const since = performance.now();
    await cleanup();
    if (interrupted === undefined) out(stoppedLine(since));
  }
};

void main().then((code) => process.exit(code));
