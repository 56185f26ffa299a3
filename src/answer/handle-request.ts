import { bestEffort } from '../core/best-effort.js';
import type { Config } from '../core/config.js';
import { dispositionOf } from '../core/disposition.js';
import type { AcceptedRequest } from '../core/domain.js';
import { AppError, errorFields, userMessageFor } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { withSpan } from '../core/tracing.js';
import { USAGE } from '../core/usage.js';
import { newTopic, sessionTitle } from '../out/agent-session.js';
import type { SlackPoster } from '../out/poster.js';
import { slackErrorCode } from '../out/slack-error.js';
import type { Block } from '../out/views/session-row.js';
import type { Enqueuer } from '../queue/enqueue.js';
import type { RateLimiter } from '../queue/fairness.js';
import type { ForegroundStops } from '../queue/foreground-stops.js';
import type { AnswerJob, AnswerPolicy } from '../queue/registry.js';
import type { FeedbackStore } from '../sessions/feedback.js';
import type { FollowedThreads } from '../sessions/follow.js';
import type { HistoryStore } from '../sessions/history.js';
import type { RequestStore } from '../sessions/requests.js';
import type { ThreadLocks } from '../sessions/thread-lock.js';
import type { ThreadSession } from '../sessions/thread-status.js';
import type { Admission, Admit } from './admission.js';
import type { BudgetCheck } from './budget-check.js';
import type { ContextBuilder } from './context.js';
import type { ForegroundAnswerer } from './foreground.js';
import { createForegroundRequests } from './foreground-request.js';
import { parseLater, route } from './routing.js';
import { cannotPostIn, inviteText, NO_TEXT, shortcutQuestion, shortcutShown } from './shortcut-request.js';

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

/** What a request is answered with: its LLM settings, and whether it may go to the queue. */
interface AnswerSettings {
  policy: AnswerPolicy;
  background: boolean;
}

const BUILT_IN: AnswerSettings = { policy: {}, background: true };

const backgroundOffText = "Background answers are turned off here, so I'm answering now instead of later.";

const notInChannelText = (channelId: string) =>
  `I can't post in <#${channelId}> because I'm not a member. Invite me with \`/invite @Backchannel\`, then ask again.`;

/**
 * Turns one accepted request into an answer: finds its session thread, builds the context, routes
 * it (foreground or queue) and answers or enqueues. Runs after the ack, as the intake job's
 * processor in the web role.
 */
export const createRequestHandler = (deps: RequestHandlerDeps) => {
  const log = deps.logger.child({ component: 'requests' });
  const foregroundRequests = createForegroundRequests(deps);

  /**
   * Posts the thread root for `/ask`, quoting the asker and the question; where answers are private
   * (the channel's policy), without the question: only the asker sees it, and its answer.
   */
  const postCommandRoot = async (
    request: AcceptedRequest,
    question: string,
    privately: boolean,
  ): Promise<string | undefined> => {
    try {
      return await deps.poster.question(request.channelId, {
        requestId: request.id,
        userId: request.userId,
        question,
        ...(privately ? { private: true } : {}),
      });
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === 'not_in_channel' || code === 'channel_not_found' || code === 'is_archived') {
        log.info({ requestId: request.id, slackError: code }, '/ask in a channel the bot cannot post to');
        if (request.responseUrl)
          await deps.poster.respond(request.responseUrl, {
            response_type: 'ephemeral',
            text: notInChannelText(request.channelId),
          });
        return undefined;
      }
      throw err;
    }
  };

  /** An ephemeral note only the requester sees (through the command's response_url for /ask). */
  const tellPrivately = async (
    request: AcceptedRequest,
    threadTs: string,
    text: string,
    blocks?: Block[],
  ) => {
    const extra = blocks ? { blocks } : {};
    try {
      if (request.responseUrl)
        await deps.poster.respond(request.responseUrl, { response_type: 'ephemeral', text, ...extra });
      else await deps.poster.postEphemeral(request.channelId, request.userId, text, { threadTs, ...extra });
    } catch (err) {
      log.warn({ requestId: request.id, err: errorFields(err) }, 'could not tell the user privately');
    }
  };

  const answer = async (
    request: AcceptedRequest,
    threadTs: string,
    question: string,
    later: boolean,
    opts: { fresh: boolean; isNew: boolean; badgeTs: string; questionTs: string; rerun: boolean },
    settings: AnswerSettings,
    signal?: AbortSignal,
  ) => {
    const thread = { teamId: request.teamId, channelId: request.channelId, threadTs };
    const rlog = log.child({ requestId: request.id });
    // What an earlier run of this request left, read before this run writes anything.
    const earlier = opts.rerun ? await deps.requests.get(request.id) : undefined;
    if (earlier?.state === 'done') {
      rlog.info({ path: earlier.path }, 'already answered by an earlier run');
      return;
    }
    // The routing span: the context it is decided on, and the decision.
    const { built, decision } = await withSpan('route', {}, async (span) => {
      const built = await deps.context.forQuestion({
        ...thread,
        userId: request.userId,
        question,
        questionTs: opts.questionTs,
        fresh: opts.fresh,
        isNew: opts.isNew,
        systemPrompt: settings.policy.systemPrompt,
        files: request.files,
      });
      const decision = route({
        later,
        backgroundAllowed: settings.background,
        contextTokens: built.tokens,
        longThreshold: deps.config.queue.backgroundTokenThreshold,
        foregroundInFlight: foregroundRequests.inFlight(),
        foregroundMax: deps.config.queue.foregroundMaxInFlight,
      });
      const why = decision.path === 'background' ? { 'backchannel.route.reason': decision.reason } : {};
      span.setAttributes({
        'backchannel.route.path': decision.path,
        'backchannel.context_tokens': built.tokens,
        ...why,
      });
      return { built, decision };
    });
    // What it takes to answer this in the background, now or on a Retry.
    const job: AnswerJob = {
      request,
      threadTs,
      badgeTs: opts.badgeTs,
      priority: 'normal',
      reason: 'retry',
      question,
      questionTs: opts.questionTs,
      freshHistory: opts.fresh,
      enqueuedAt: Date.now(),
      retry: 0,
      ...(Object.keys(settings.policy).length ? { policy: settings.policy } : {}),
    };
    // A follow-up that starts a new topic retitles its session; any other keeps the first title.
    if (!opts.isNew && newTopic(question)) await deps.poster.sessions.rename(thread, sessionTitle(question));
    if (decision.path === 'background') {
      await deps.enqueuer.enqueue({ ...job, priority: decision.priority, reason: decision.reason });
      return;
    }
    await withSpan('answer foreground', {}, () =>
      foregroundRequests.run(
        job,
        built.messages,
        {
          interrupted: earlier?.state === 'answering',
          files: built.files,
          ...(signal ? { signal } : {}),
        },
        rlog,
      ),
    );
  };

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
    let later = shortcut ? shortcut.kind !== 'ask' : laterQuestion !== undefined;
    const question = shortcut ? shortcutQuestion(request, shortcut) : (laterQuestion ?? text);
    let settings = BUILT_IN;
    /** Told privately and logged; never a lock wait, a Slack read or an LLM call first. */
    const refuse = async (err: unknown, threadTs: string) => {
      rlog.info({ err: errorFields(err) }, 'request refused');
      await tellPrivately(request, threadTs, userMessageFor(err));
    };
    // The per-user rate limit, first: every question counts, foreground or `later` (both cost LLM
    // calls), once per request id (a request that went back to wait for its thread is not recounted).
    const admitted = () => deps.rateLimiter.admit(request.teamId, request.userId, request.id);
    const overLimit = () => new AppError('user_rate_limited', 'over the per-user rate limit');
    /**
     * The policy, once per request before anything is posted: false when the request is not
     * answered (refused privately, or ignored); else `settings` and `later` follow it.
     */
    const admittedByPolicy = async (threadTs: string): Promise<boolean> => {
      const admission: Admission | undefined = await deps.admit?.(request);
      if (!admission) return true;
      if (admission.verdict !== 'answer') {
        rlog.info({ verdict: admission.verdict, why: admission.why }, 'request not answered by policy');
        if (admission.verdict === 'refuse') await tellPrivately(request, threadTs, admission.text);
        return false;
      }
      const p = admission.policy;
      settings = {
        policy: { model: p.model, systemPrompt: p.systemPrompt, ...(p.private ? { private: true } : {}) },
        background: p.background,
      };
      if (later && !p.background) {
        later = false;
        await tellPrivately(request, threadTs, backgroundOffText);
      }
      return true;
    };
    // The daily token budgets, before the rate limit counts the request: a refusal says when they reset.
    const overBudget = () => deps.budget?.refusal(request.teamId, request.userId, rlog);

    if (request.source === 'command') {
      if (!question.trim()) {
        if (request.responseUrl)
          await deps.poster.respond(request.responseUrl, { response_type: 'ephemeral', text: USAGE });
        return;
      }
      if (!(await admittedByPolicy(''))) return;
      const budgetUsed = await overBudget();
      if (budgetUsed) return tellPrivately(request, '', budgetUsed.text, budgetUsed.blocks);
      if (!(await admitted())) return refuse(overLimit(), '');
      // A re-run of this request (after a Redis blip or a crash) reuses the root it already posted.
      const rootTs =
        (await deps.requests.rootOf(request.id)) ??
        (await postCommandRoot(request, question, settings?.policy.private === true));
      if (!rootTs) return;
      await deps.requests.rememberRoot(request.id, rootTs);
      await deps.followed.follow(request.teamId, request.channelId, rootTs);
      try {
        return await answer(
          request,
          rootTs,
          question,
          later,
          {
            fresh: false,
            isNew: true,
            badgeTs: rootTs,
            questionTs: rootTs,
            rerun,
          },
          settings,
        );
      } catch (err) {
        const disposition = dispositionOf(err);
        if (disposition === 'retry') throw err;
        rlog.warn({ err: errorFields(err), disposition }, 'command request failed');
        // Whatever the disposition, /ask tells the asker privately through the command's
        // response_url: the thread is the bot's own post of their question.
        await tellPrivately(request, rootTs, userMessageFor(err));
        return;
      }
    }

    // A shortcut's place in its thread's order is when it was used: it has no message of its own.
    const ts = shortcut?.orderTs ?? request.ts ?? '';
    // A top-level mention starts a session the bot follows; a mention inside someone's thread
    // answers once, with the thread as context; in a DM every message's thread is a session.
    const threadTs = request.threadTs ?? ts;
    const thread = { teamId: request.teamId, channelId: request.channelId, threadTs };
    /** What ends a request that failed past the policy and limits (every disposition but `retry`). */
    const failed = async (err: unknown) => {
      const disposition = dispositionOf(err);
      if (disposition === 'retry') throw err;
      if (disposition === 'ignore') {
        rlog.info({ err: errorFields(err), disposition }, 'request ended without a reply');
        return;
      }
      if (disposition === 'tell_privately') return refuse(err, threadTs);
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
      if (!question.trim()) return tellPrivately(request, threadTs, NO_TEXT);
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
        await answer(request, threadTs, question, later, opts, settings, signal);
      } catch (err) {
        if (!cannotPostIn(err)) return failed(err);
        rlog.info({ slackError: slackErrorCode(err) }, 'shortcut in a channel the bot cannot use');
        await tellPrivately(request, threadTs, inviteText(request.channelId));
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
        await answer(request, threadTs, question, later, opts, settings, signal);
      } catch (err) {
        await failed(err);
      }
    };
    if (!(await admittedByPolicy(threadTs))) {
      await deps.threadLocks.leave(thread, ts);
      return;
    }
    const budgetUsed = await overBudget();
    if (budgetUsed) {
      await deps.threadLocks.leave(thread, ts);
      return tellPrivately(request, threadTs, budgetUsed.text, budgetUsed.blocks);
    }
    if (!(await admitted())) {
      await deps.threadLocks.leave(thread, ts);
      return refuse(overLimit(), threadTs);
    }
    // In the order the messages were sent (entered at intake), one answer at a time per thread.
    // Not its turn yet: `TurnPending` goes up to the intake job, which waits in the queue, not in a slot.
    try {
      return await deps.threadLocks.run(thread, ts, locked, { since: request.receivedAt });
    } catch (err) {
      // Refused by the thread's order (thread_busy); anything else goes up to the intake job.
      if (dispositionOf(err) === 'tell_privately') return refuse(err, threadTs);
      throw err;
    }
  };

  return { handle };
};

export type RequestHandler = ReturnType<typeof createRequestHandler>;
