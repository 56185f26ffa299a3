import { bestEffort } from '../core/best-effort.js';
import type { Config } from '../core/config.js';
import { dispositionOf } from '../core/disposition.js';
import type { AcceptedRequest } from '../core/domain.js';
import { errorFields, userMessageFor } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { USAGE } from '../core/usage.js';
import type { SlackPoster } from '../out/poster.js';
import { slackErrorCode } from '../out/slack-error.js';
import type { Enqueuer } from '../queue/enqueue.js';
import type { RateLimiter } from '../queue/fairness.js';
import type { ForegroundStops } from '../queue/foreground-stops.js';
import type { FeedbackStore } from '../sessions/feedback.js';
import type { FollowedThreads } from '../sessions/follow.js';
import type { HistoryStore } from '../sessions/history.js';
import type { RequestStore } from '../sessions/requests.js';
import type { ThreadLocks } from '../sessions/thread-lock.js';
import type { ThreadSession } from '../sessions/thread-status.js';
import type { Admit } from './admission.js';
import { createAnswerRequest } from './answer-request.js';
import type { BudgetCheck } from './budget-check.js';
import { createCommandRequests } from './command-request.js';
import type { ContextBuilder } from './context.js';
import type { ForegroundAnswerer } from './foreground.js';
import { createRequestGate } from './request-gate.js';
import { parseLater } from './routing.js';
import { cannotPostIn, inviteText, NO_TEXT, shortcutQuestion, shortcutShown } from './shortcut-request.js';
import { createPrivateNotes } from './tell-privately.js';

export interface RequestHandlerDeps {
  config: Pick<Config, 'queue'>;
  poster: Pick<SlackPoster, 'question' | 'note' | 'respond' | 'postEphemeral' | 'sessions'>;
  context: ContextBuilder;
  foreground: ForegroundAnswerer;
  enqueuer: Enqueuer;
  history: Pick<HistoryStore, 'append'>;
  followed: Pick<FollowedThreads, 'follow' | 'isFollowed'>;
  threadLocks: Pick<ThreadLocks, 'run' | 'leave'>;
  requests: Pick<
    RequestStore,
    'get' | 'create' | 'update' | 'markThreadRead' | 'saveJob' | 'setResult' | 'rootOf' | 'rememberRoot'
  >;
  feedback: Pick<FeedbackStore, 'rememberAnswer'>;
  rateLimiter: Pick<RateLimiter, 'admit'>;
  stops: Pick<ForegroundStops, 'track' | 'untrack'>;
  threadSession: Pick<ThreadSession, 'next'>;
  metrics: Pick<Metrics, 'answers' | 'answerSeconds' | 'inFlight'>;
  logger: Logger;
  /** The workspace's and channel's policy (admission.ts); absent: everyone, built-in settings. */
  admit?: Admit;
  /** Daily token budgets (budget-check.ts); without it, none. */
  budget?: Pick<BudgetCheck, 'refusal'>;
}

/**
 * Turns one accepted request into an answer: finds its session thread, builds the context, routes
 * it (foreground or queue) and answers or enqueues. Runs after the ack, as the intake job's
 * processor in the web role. Every request passes the gate (request-gate.ts) before anything is
 * posted; `/ask` is command-request.ts, the answer itself answer-request.ts.
 */
export const createRequestHandler = (deps: RequestHandlerDeps) => {
  const log = deps.logger.child({ component: 'requests' });
  const notes = createPrivateNotes(deps);
  const gate = createRequestGate({ ...deps, notes });
  const answer = createAnswerRequest(deps);
  const command = createCommandRequests({ ...deps, gate, answer, notes });

  /** `rerun`: this request's intake job ran before (a process died, or Redis failed, mid-way). */
  const handle = async (
    request: AcceptedRequest,
    { rerun = false }: { rerun?: boolean } = {},
  ): Promise<void> => {
    const rlog = log.child({ requestId: request.id, source: request.source });
    let text = request.text;
    if (request.source === 'command') {
      // `/ask sessions` and `/ask cancel` go to the overview (intake/processor.ts): a command here is
      // a question, or was written by an older version that did not carry the parsed command.
      if (request.command?.action !== 'ask') {
        if (request.responseUrl)
          await deps.poster.respond(request.responseUrl, { response_type: 'ephemeral', text: USAGE });
        return;
      }
      text = request.command.question;
    }
    // A message shortcut says itself what it asks, and whether in the background (all but `ask`).
    const shortcut = request.source === 'shortcut' ? request.shortcut : undefined;
    const laterQuestion = shortcut ? undefined : parseLater(text);
    const later = shortcut ? shortcut.kind !== 'ask' : laterQuestion !== undefined;
    const question = shortcut ? shortcutQuestion(request, shortcut) : (laterQuestion ?? text);
    if (request.source === 'command') return command(request, { question, later, rerun }, rlog);

    // A shortcut's place in its thread's order is when it was used: it has no message of its own.
    const ts = shortcut?.orderTs ?? request.ts ?? '';
    // A top-level mention starts a session the bot follows; a mention inside someone's thread
    // answers once, with the thread as context; in a DM every message's thread is a session.
    const threadTs = request.threadTs ?? ts;
    const thread = { teamId: request.teamId, channelId: request.channelId, threadTs };
    const passed = await gate.pass(
      request,
      { threadTs, later, release: () => deps.threadLocks.leave(thread, ts) },
      rlog,
    );
    if (!passed) return;
    const { settings } = passed;
    /** What ends a request that failed past the policy and limits (every disposition but `retry`). */
    const failed = async (err: unknown) => {
      const disposition = dispositionOf(err);
      if (disposition === 'retry') throw err;
      if (disposition === 'ignore') {
        rlog.info({ err: errorFields(err), disposition }, 'request ended without a reply');
        return;
      }
      if (disposition === 'tell_privately') return notes.refuse(request, err, threadTs, rlog);
      rlog.error({ err: errorFields(err), disposition }, 'request failed');
      await bestEffort(rlog, 'error note', () =>
        deps.poster.note({ channelId: request.channelId, threadTs }, `⚠️ ${userMessageFor(err)}`, {
          requestId: request.id,
          kind: 'error',
        }),
      );
    };
    /**
     * A message shortcut, holding the thread's lock: its question goes into the thread as the bot's
     * message marked as the requester's (so others see who asked, and it carries the badge), unless
     * the message itself is the question (`later`) or the answer is private; then it is answered
     * like a mention of that thread. The thread is read afresh unless the bot follows it; *Ask about
     * this* makes it a session the bot follows.
     */
    const shortcutLocked = async (use: NonNullable<typeof shortcut>, signal: AbortSignal) => {
      if (!question.trim()) return notes.tell(request, threadTs, NO_TEXT);
      try {
        const fresh = !(await deps.followed.isFollowed(request.teamId, request.channelId, threadTs));
        let questionTs = use.kind === 'later' ? use.messageTs : use.orderTs;
        let badgeTs = use.messageTs;
        if (use.kind !== 'later' && !settings.policy.private) {
          // A re-run reuses the question it already posted.
          questionTs =
            (await deps.requests.rootOf(request.id)) ??
            (await deps.poster.question(request.channelId, {
              requestId: request.id,
              userId: request.userId,
              question,
              threadTs,
              shown: shortcutShown(request.userId, request, use),
            }));
          await deps.requests.rememberRoot(request.id, questionTs);
          badgeTs = questionTs;
        }
        if (use.kind === 'ask') await deps.followed.follow(request.teamId, request.channelId, threadTs);
        const opts = { fresh, isNew: false, badgeTs, questionTs, rerun };
        await answer(request, threadTs, question, passed.later, opts, settings, signal);
      } catch (err) {
        if (!cannotPostIn(err)) return failed(err);
        rlog.info({ slackError: slackErrorCode(err) }, 'shortcut in a channel the bot cannot use');
        await notes.tell(request, threadTs, inviteText(request.channelId));
      }
    };
    // Runs holding the thread's lock; `signal` aborts the answer if the lock is lost meanwhile.
    const locked = async (signal: AbortSignal) => {
      if (shortcut) return shortcutLocked(shortcut, signal);
      // A file shared with no words is still something to answer about (a DM, a followed thread).
      if (!question.trim() && !request.files?.length) {
        await deps.poster.note(
          { channelId: request.channelId, threadTs },
          'Hi! Ask me a question here; `/ask help` shows what I can do.',
          { requestId: request.id, kind: 'hint' },
        );
        return;
      }
      // Replying in a thread is reading it: the user's unread results there are seen.
      if (request.threadTs)
        await deps.requests.markThreadRead(
          request.teamId,
          request.userId,
          request.channelId,
          request.threadTs,
        );
      if (request.source === 'mention' && !request.threadTs)
        await deps.followed.follow(request.teamId, request.channelId, threadTs);
      // A mention inside someone's thread reads it afresh (the bot did not see what was said there);
      // in a thread it follows, the cache is complete.
      const fresh =
        request.source === 'mention' &&
        request.threadTs !== undefined &&
        !(await deps.followed.isFollowed(request.teamId, request.channelId, request.threadTs));
      try {
        // A top-level message starts its thread: there is nothing to read from Slack yet.
        const isNew = request.threadTs === undefined;
        const opts = { fresh, isNew, badgeTs: ts, questionTs: ts, rerun };
        await answer(request, threadTs, question, passed.later, opts, settings, signal);
      } catch (err) {
        await failed(err);
      }
    };
    // In the order the messages were sent (entered at intake), one answer at a time per thread.
    // Not its turn yet: `TurnPending` goes up to the intake job, which waits in the queue, not in a slot.
    try {
      return await deps.threadLocks.run(thread, ts, locked, { since: request.receivedAt });
    } catch (err) {
      // Refused by the thread's order (thread_busy); anything else goes up to the intake job.
      if (dispositionOf(err) === 'tell_privately') return notes.refuse(request, err, threadTs, rlog);
      throw err;
    }
  };

  return { handle };
};

export type RequestHandler = ReturnType<typeof createRequestHandler>;
