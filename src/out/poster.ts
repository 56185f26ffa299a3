import type { types } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { ThreadTarget } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import { sleep as realSleep, type Sleep } from '../core/time.js';
import {
  type AgentSessions,
  createAgentSessions,
  memorySessionSupport,
  type SessionSupport,
} from './agent-session.js';
import { type AnswerWriter, createAnswerWriter } from './answer-writer.js';
import type { Badge, BadgeEmoji } from './badges.js';
import { createLocalBudgetStore } from './budget-store.js';
import { createMessagesTabWriter, type MessagesTabWriter } from './messages-tab.js';
import { type NoteKind, toMetadata } from './metadata.js';
import { neutralize } from './neutralize.js';
import { createPacer } from './pacing.js';
import { createReplyPost, type InPlace, type ReplyTarget } from './reply-post.js';
import { createResponder, type Respond } from './respond.js';
import { createSlackBudget, type SlackBudget } from './slack-budget.js';
import { createSlackCall, requireTs } from './slack-call.js';
import { slackErrorCode } from './slack-error.js';
import { createStatusKeeper } from './status.js';
import { feedbackBlock } from './views/feedback.js';

export type { AgentSessions, SessionStatus, SessionThread, SessionWork } from './agent-session.js';
export { PLACEHOLDER_TEXT } from './answer-messages.js';
export type { AnswerWriter, FinishOptions, WrittenAnswer } from './answer-writer.js';
export type { Badge } from './badges.js';
export type { NoteKind } from './metadata.js';
export type { InPlace, ReplyTarget } from './reply-post.js';

/**
 * Everything Backchannel writes to Slack goes through here: thread status (status.ts), answers that
 * grow while the model writes (answer-writer.ts), replies and notes marked with the bot's message
 * metadata (reply-post.ts, metadata.ts), badges, ephemeral messages and slash-command responses (respond.ts).
 * Slack's errors leave as AppError (`slack_api`, `slack_not_in_channel`). Every call takes its
 * token from the shared Slack budget (slack-budget.ts) at the poster's priority (the web role's
 * answers are foreground, a worker's background); badges are background wherever they are written.
 */

export type Block = types.KnownBlock | types.Block;

/** What a private `/ask` root keeps of its question (read back as the asker's turn). */
export const PRIVATE_QUESTION = '(a question asked privately)';

export interface SlackPosterDeps {
  client: WebClient;
  logger: Logger;
  /** Try chat.startStream first; a refusal falls back to a posted message either way. */
  nativeStreaming: boolean;
  /** The emoji of each badge (config's EMOJI_*). */
  badges: BadgeEmoji;
  now?: () => number;
  sleep?: Sleep;
  /**
   * The shared Slack budget, at this poster's priority. Default: this process's memory, which only
   * waits out 429s (for tests of the writing itself; a running process always shares one in Redis).
   */
  budget?: SlackBudget;
  /** Where a workspace's fallback from agent sessions is remembered (default: this process's memory). */
  sessionSupport?: SessionSupport;
}

/** What a note is about: its request, and why it was posted (`failed` ends a background job). */
export type NoteAbout =
  | { requestId: string; kind: NoteKind }
  | { requestId: string; kind: 'failed'; jobId: string };

export interface SlackPoster extends MessagesTabWriter {
  /** A request's visible status: its thread's agent session, or the assistant status where there is none. */
  sessions: AgentSessions;
  /**
   * `placeholder: true` shows a placeholder message at once (an edited message instead of a native
   * stream, which can only start with text): for when no thread status tells the user we are working.
   */
  startAnswer(target: ThreadTarget, opts?: { placeholder?: boolean }): AnswerWriter;
  /** A plain reply (`blocks`: sent as one message, with `text` as the notification fallback). */
  reply(target: ReplyTarget, text: string, opts?: { blocks?: Block[] }): Promise<{ ts: string[] }>;
  /**
   * A finished answer, marked with its request (and job), so a re-run finds it (`findEarlierRun`).
   * The mark is on the last message of a long answer: finding it proves the whole answer went out.
   * That message also ends with the 👍/👎 feedback buttons.
   */
  answer(
    target: ReplyTarget,
    text: string,
    about: { requestId: string; jobId?: string },
    opts?: InPlace,
  ): Promise<{ ts: string[] }>;
  /** A status note ("Queued…", an error): marked so that it is never read back as part of the conversation. */
  note(target: ReplyTarget, text: string, about: NoteAbout, opts?: InPlace): Promise<{ ts: string[] }>;
  /**
   * Posts the thread root for `/ask`, quoting the asker; read back as the asker's turn. Resolves
   * with its ts. `private`: the question is neither shown nor kept in the message (answers there
   * are private): the root only says someone asked. `threadTs`: a reply in that thread instead (a
   * message shortcut's question), showing `shown` (our own wording around the user's words) rather
   * than the quoted question.
   */
  question(
    channelId: string,
    asked: {
      requestId: string;
      userId: string;
      question: string;
      private?: boolean;
      threadTs?: string;
      shown?: string;
    },
  ): Promise<string>;
  /** Puts a request's end badge on the message that asked it. */
  badge(channel: string, ts: string, badge: Badge): Promise<void>;
  /** Takes a badge off (a retried request's ❌ or 🚫, or one put back when queueing failed). */
  unbadge(channel: string, ts: string, badge: Badge): Promise<void>;
  react(channel: string, ts: string, name: string): Promise<void>;
  unreact(channel: string, ts: string, name: string): Promise<void>;
  remove(channel: string, ts: string): Promise<void>;
  postEphemeral(
    channel: string,
    user: string,
    text: string,
    opts?: { threadTs?: string; blocks?: Block[] },
  ): Promise<void>;
  respond: Respond;
  /** Answers in flight per flush kind (read by tests only: every answer gives its pacing slot back). */
  activeAnswers(): { stream: number; update: number };
}

export const createSlackPoster = (deps: SlackPosterDeps): SlackPoster => {
  const { client } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const log = deps.logger.child({ component: 'slack-poster' });
  const budget =
    deps.budget ??
    createSlackBudget({ store: createLocalBudgetStore(now), team: 'local', logger: deps.logger, now, sleep });
  const call = createSlackCall(budget);
  const badgeCall = createSlackCall(budget.withPriority('background'));
  const pacer = createPacer();
  const status = createStatusKeeper({ client, call, logger: log, now, sleep });
  const sessions = createAgentSessions({
    client,
    call,
    status,
    support: deps.sessionSupport ?? memorySessionSupport(),
    logger: log,
  });
  const respond = createResponder({ now });

  const post = createReplyPost({ client, call, status, log });

  /** Calls `fn`; the Slack error `harmless` (the thing is already so) counts as success. */
  const unless = async (harmless: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      if (slackErrorCode(err) !== harmless) throw err;
    }
  };

  const react = (channel: string, ts: string, name: string) =>
    unless('already_reacted', () =>
      badgeCall('reactions.add', channel, () => client.reactions.add({ channel, timestamp: ts, name })),
    );
  const unreact = (channel: string, ts: string, name: string) =>
    unless('no_reaction', () =>
      badgeCall('reactions.remove', channel, () => client.reactions.remove({ channel, timestamp: ts, name })),
    );

  return {
    sessions,
    ...createMessagesTabWriter({ client, call }),
    startAnswer: (target, opts = {}) =>
      createAnswerWriter(target, {
        client,
        call,
        pacer,
        now,
        sleep,
        log: log.child({ channel: target.channelId, threadTs: target.threadTs }),
        nativeStreaming: deps.nativeStreaming && !opts.placeholder,
        onPosted: () => status.postedIn(target.channelId, target.threadTs),
      }),
    reply: (target, text, opts = {}) => post(target, text, opts),
    answer: (target, text, { requestId, jobId }, opts = {}) =>
      post(target, text, {
        ...opts,
        mark: { type: 'answer', requestId, ...(jobId ? { jobId } : {}) },
        closing: [feedbackBlock()],
      }),
    note: (target, text, about, opts = {}) =>
      post(target, text, {
        ...opts,
        mark:
          about.kind === 'failed'
            ? { type: 'failure', requestId: about.requestId, jobId: about.jobId }
            : { type: 'note', requestId: about.requestId, kind: about.kind },
      }),
    question: async (channelId, { private: privately, threadTs, shown, ...asked }) => {
      // The question is the user's text, posted by the bot: it must not ping or hide a link either.
      const quoted = neutralize(asked.question).replace(/\n/g, '\n>');
      const text = privately
        ? `🔒 <@${asked.userId}> asked a question here. Answers in this channel are private: only they see it.`
        : `<@${asked.userId}> asked:\n>${quoted}`;
      const kept = privately ? { ...asked, question: PRIVATE_QUESTION } : asked;
      const res = await call('chat.postMessage', channelId, () =>
        client.chat.postMessage({
          channel: channelId,
          text: shown !== undefined && !privately ? neutralize(shown) : text,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          unfurl_links: false,
          metadata: toMetadata({ type: 'question', ...kept }),
        }),
      );
      if (threadTs) status.postedIn(channelId, threadTs);
      return requireTs(res.ts, 'chat.postMessage');
    },
    badge: (channel, ts, badge) => react(channel, ts, deps.badges[badge]),
    unbadge: (channel, ts, badge) => unreact(channel, ts, deps.badges[badge]),
    react,
    unreact,
    /** Deletes one of the bot's messages (`message_not_found` is success). */
    remove: (channel, ts) =>
      unless('message_not_found', () =>
        call('chat.delete', channel, () => client.chat.delete({ channel, ts })),
      ),
    postEphemeral: async (channel, user, text, opts = {}) => {
      await call('chat.postEphemeral', channel, () =>
        client.chat.postEphemeral({
          channel,
          user,
          text: neutralize(text),
          ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
          ...(opts.blocks ? { blocks: opts.blocks } : {}),
        }),
      );
    },
    respond,
    activeAnswers: () => ({ stream: pacer.active('stream'), update: pacer.active('update') }),
  };
};
