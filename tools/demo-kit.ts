import { ACTION_IDS } from '../src/out/views/actions.js';
import type { SlackDriver } from '../standins/driver/index.js';
import type { SyncProbe } from '../standins/http.js';
import { type CompletionRequest, contentText, type OpenAIStandin } from '../standins/llm/index.js';
import type { BotProcess } from '../standins/processes.js';
import { startBot } from '../standins/processes.js';
import { botReplies, type SlackApiStandin, type StoredMessage, settled } from '../standins/slack/index.js';
import { emoji, type Names, renderThread, slackText } from './render.js';

/** `npm run demo`'s kit: its cast, its output, and how a step waits for what Slack shows. */

export const SIGNING_SECRET = 'demo-signing-secret';
export const TEAM = 'T0DEMO';
export const BOT = 'U0BOT';
export const ALICE = 'UALICE';
export const CHANNEL = 'CGENERAL';
export const names: Names = {
  users: { [BOT]: 'Backchannel', [ALICE]: 'Alice' },
  channels: { [CHANNEL]: 'general' },
};

export const realLlm = Boolean(process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL);
/** A real LLM can take its time; the stand-in answers in about a second. */
export const STEP_TIMEOUT_MS = realLlm ? 90_000 : 20_000;
/** The stand-in's pace: slow enough that streaming shows, fast enough that the demo takes seconds. */
export const STANDIN_PACE = { ttftMs: 300, tokensPerSecond: 40 };

export const width = Math.min(110, Math.max(60, process.stdout.columns ?? 100));
export const out = (text = '') => process.stdout.write(`${text}\n`);
export const indent = (text: string, by = '   ') =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : `${by}${l}`))
    .join('\n');
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
export const standinAnswer = (req: CompletionRequest): string => {
  const lastUser = [...req.messages].reverse().find((m) => m.role === 'user');
  const asked = contentText(lastUser?.content).toLowerCase();
  const sawCsv = JSON.stringify(req.messages).includes('East | Q1 | 1730');
  const body = asked.includes('which region')
    ? sawCsv
      ? [
          '**East** sold the most in Q1, with 1,730:',
          '',
          '| region | revenue |',
          '|:--|--:|',
          '| East | 1,730 |',
          '| North | 1,200 |',
          '| South | 950 |',
          '| West | 610 |',
        ].join('\n')
      : 'I could not see the file.'
    : asked.includes('summarize this thread')
      ? [
          '*Summary*',
          '- Alice asked what a backchannel is: a side conversation alongside the main one (in Slack, a thread).',
          '- Why use one: it keeps the channel readable while the detail stays in the open, in one place.',
          '- No decisions or open questions.',
        ].join('\n')
      : asked.includes('history')
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

export interface Demo {
  slack: SlackApiStandin;
  llm: OpenAIStandin | undefined;
  driver: SlackDriver;
  web: BotProcess;
  worker: BotProcess;
}

export const thread = (d: Demo, threadTs: string) =>
  renderThread(CHANNEL, d.slack.messages(CHANNEL, threadTs), names, { width: width - 3 });

export const reactionAdds = (d: Demo, ts: string) =>
  d.slack
    .calls('reactions.add')
    .filter((c) => c.params.timestamp === ts && c.status === 200 && c.response?.ok === true)
    .map((c) => String(c.params.name));

/** The badges a message got, in order: `⏳ → ✅`. */
export const badges = (reactions: string[]) => reactions.map(emoji).join(' → ');

export const wait = <T>(d: Demo, what: string, probe: SyncProbe<T>): Promise<T> =>
  d.slack.waitFor(probe, STEP_TIMEOUT_MS, what);

/**
 * Waits for the bot's next finished reply in a thread and, while it streams, prints its text as it
 * grows, as the Slack client shows it.
 */
export const followAnswer = async (d: Demo, threadTs: string, before: number): Promise<StoredMessage> => {
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

export class StepFailed extends Error {}

let stepNo = 0;
/** How many steps have started. */
export const stepsRun = () => stepNo;
export const step = async (title: string, run: () => Promise<string>): Promise<void> => {
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

export const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(what);
};

export const acked = (status: number, what: string) =>
  check(status === 200, `${what} was not acknowledged (HTTP ${status})`);

/** The thread root the bot posts for `/ask <question>`. */
export const commandRoot = (d: Demo, question: string) =>
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
export const buttonValue = (
  view: { blocks: unknown[] } | undefined,
  actionId: string,
): string | undefined => {
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
export const sessionLine = async (d: Demo, threadTs: string, expected: string) => {
  const history = () => d.slack.sessionHistory(CHANNEL, threadTs).join(' → ');
  await wait(
    d,
    `the agent session to go ${expected} (it went ${history() || 'nowhere'})`,
    () => history() === expected,
  );
  return `agent session “${d.slack.sessionStatus(CHANNEL, threadTs)?.title ?? ''}”: ${history()}`;
};

export const homeShowsUnread = (view: { blocks: unknown[] } | undefined) =>
  buttonValue(view, ACTION_IDS.markRead) !== undefined;

// ----- the bot's processes, shared with the playground ---------------------------------------

/** With no stand-in LLM: the real one's settings, passed through from this process's environment. */
export const realLlmEnv = (): Record<string, string> => {
  const keys = [
    'OPENAI_BASE_URL',
    'OPENAI_API_KEY',
    'OPENAI_MODEL',
    'SYSTEM_PROMPT',
    'MAX_ANSWER_TOKENS',
    'LLM_TIMEOUT_MS',
  ];
  return Object.fromEntries(keys.flatMap((k) => (process.env[k] !== undefined ? [[k, process.env[k]]] : [])));
};

/**
 * The bot as its two real processes, ready: a web and a worker, in an empty working directory (the
 * bot loads ./.env when there is one, and a developer's must not leak in).
 */
export const startWebAndWorker = async (env: Record<string, string | undefined>, cwd: string) => {
  const [web, worker] = await Promise.all(
    (['web', 'worker'] as const).map((role) => startBot({ role, env, cwd, ready: 'healthz' })),
  );
  if (!web || !worker) throw new Error('the bot did not start');
  return { web, worker };
};
