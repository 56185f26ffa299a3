import type { Config } from '../core/config.js';
import type { AcceptedRequest } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import { withSpan } from '../core/tracing.js';
import { newTopic, sessionTitle } from '../out/agent-session.js';
import type { SlackPoster } from '../out/poster.js';
import type { Enqueuer } from '../queue/enqueue.js';
import type { AnswerJob, AnswerPolicy } from '../queue/registry.js';
import type { RequestStore } from '../sessions/requests.js';
import type { ContextBuilder } from './context.js';
import { createForegroundRequests, type ForegroundRequestDeps } from './foreground-request.js';
import { route } from './routing.js';

/** What a request is answered with: its LLM settings, and whether it may go to the queue. */
export interface AnswerSettings {
  policy: AnswerPolicy;
  background: boolean;
}

/** Where the request sits in its thread, and what an earlier run of it may have left. */
export interface AnswerOpts {
  /** Read the thread from Slack afresh (the bot did not see all of it). */
  fresh: boolean;
  /** The request starts its thread: there is nothing to read from Slack yet. */
  isNew: boolean;
  badgeTs: string;
  questionTs: string;
  /** This request's intake job ran before (a process died, or Redis failed, mid-way). */
  rerun: boolean;
}

export interface AnswerRequestDeps extends Omit<ForegroundRequestDeps, 'poster' | 'requests'> {
  config: Pick<Config, 'queue'>;
  poster: Pick<SlackPoster, 'note' | 'sessions'>;
  context: ContextBuilder;
  enqueuer: Enqueuer;
  requests: Pick<RequestStore, 'get' | 'create' | 'update' | 'saveJob' | 'setResult'>;
  logger: Logger;
}

/**
 * The answer step of a request that passed its gate and holds its thread: builds the context,
 * routes it (foreground or queue), then enqueues it or answers it now.
 */
export const createAnswerRequest = (deps: AnswerRequestDeps) => {
  const log = deps.logger.child({ component: 'requests' });
  const foregroundRequests = createForegroundRequests(deps);

  return async (
    request: AcceptedRequest,
    threadTs: string,
    question: string,
    later: boolean,
    opts: AnswerOpts,
    settings: AnswerSettings,
    signal?: AbortSignal,
  ): Promise<void> => {
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
};

export type AnswerRequest = ReturnType<typeof createAnswerRequest>;
