import { bestEffort } from '../core/best-effort.js';
import { userMessageFor } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { SlackPoster } from '../out/poster.js';
import { isChannelGone } from '../out/slack-error.js';
import type { EarlierRun } from '../out/threads.js';
import type { RequestState, RequestStore } from '../sessions/requests.js';
import { createThreadSession } from '../sessions/thread-status.js';
import type { Fairness } from './fairness.js';
import type { AnswerJob } from './registry.js';

/** What a final failure says in the thread: what went wrong, and how to try again. */
export const failureText = (err: unknown) =>
  `❌ I couldn't finish this one. ${userMessageFor(err)} To try again, ask again here (or \`/ask later …\`).`;

/** Shown on the Home tab when the thread itself is closed to the bot (nothing was posted there). */
const CHANNEL_GONE_TEXT =
  "I can't post in that conversation any more (it was archived or deleted, or I was removed from it).";

/** A record update that matters (it ends the request) gets a few tries before it is given up. */
const RECORD_ATTEMPTS = 3;

export interface AnswerEndingDeps {
  poster: Pick<SlackPoster, 'note' | 'badge' | 'sessions'>;
  requests: Pick<RequestStore, 'update' | 'inThread'>;
  fairness: Pick<Fairness, 'removeQueued' | 'releaseRunning'>;
  metrics: Pick<Metrics, 'answers'>;
  logger: Logger;
}

/**
 * How a background request ends, whatever ended it: its record gets its final state, its
 * queued-cap entry and running slot are given back, and the thread's agent session is settled
 * (thread-status.ts), but only where one is shown in another status than the thread's work calls
 * for (a background request sets none of its own). Every step is best-effort and logged, so one
 * failing step (Redis blip) never keeps the others from running.
 */
export const createAnswerEnding = (deps: AnswerEndingDeps) => {
  const threadSession = createThreadSession({
    requests: deps.requests,
    sessions: deps.poster.sessions,
    logger: deps.logger,
  });
  const finish = async (
    data: AnswerJob,
    jobId: string,
    patch: { state: RequestState; unread?: boolean; error?: string },
    log: Logger,
  ) => {
    const { request } = data;
    await bestEffort(
      log,
      'record',
      () => deps.requests.update(request.id, { ...patch, position: undefined }),
      { attempts: RECORD_ATTEMPTS },
    );
    await bestEffort(
      log,
      'queued cap',
      () => deps.fairness.removeQueued(request.teamId, request.userId, request.id),
      { attempts: RECORD_ATTEMPTS },
    );
    await bestEffort(log, 'running slot', () =>
      deps.fairness.releaseRunning(request.teamId, request.userId, jobId),
    );
    await threadSession.settle(
      { teamId: request.teamId, channelId: request.channelId, threadTs: data.threadTs },
      undefined,
      { ifShown: true },
    );
  };

  /**
   * The final-failure path: the request's note in the thread (its queued note, edited in place)
   * says what went wrong and how to retry, the ❌ badge goes on, and the record is `failed`. The
   * note carries `failed_job_id`, so a re-run of the job finds it and does not fail twice. When the
   * conversation is closed to the bot, the note and badge would fail the same way, so they are not
   * tried.
   */
  const fail = async (data: AnswerJob, jobId: string, err: unknown, log: Logger) => {
    const { request } = data;
    const gone = isChannelGone(err);
    if (gone) log.info({ channelId: request.channelId }, 'conversation closed to the bot; no failure note');
    else {
      await bestEffort(log, 'failure note', () =>
        deps.poster.note(
          { channelId: request.channelId, threadTs: data.threadTs },
          failureText(err),
          { requestId: request.id, kind: 'failed', jobId },
          data.noteTs ? { replacing: data.noteTs } : {},
        ),
      );
      await bestEffort(log, 'failure badge', () =>
        deps.poster.badge(request.channelId, data.badgeTs, 'failed'),
      );
    }
    await finish(
      data,
      jobId,
      { state: 'failed', error: gone ? CHANNEL_GONE_TEXT : userMessageFor(err) },
      log,
    );
    deps.metrics.answers.inc({ path: 'background', outcome: 'failed' });
  };

  /**
   * Ends a request whose earlier run already told the thread how it went (the reader's
   * findEarlierRun):
   * the badge and record follow what is there, and nothing is posted again.
   */
  const settleFromEarlier = async (
    data: AnswerJob,
    jobId: string,
    earlier: EarlierRun,
    log: Logger,
  ): Promise<'answered' | 'failed'> => {
    const answered = earlier.outcome === 'answered';
    // The earlier run may have died before its badge: adding it again is harmless (already_reacted).
    await bestEffort(log, 'badge', () =>
      deps.poster.badge(data.request.channelId, data.badgeTs, answered ? 'done' : 'failed'),
    );
    await finish(data, jobId, answered ? { state: 'done', unread: true } : { state: 'failed' }, log);
    return answered ? 'answered' : 'failed';
  };

  return { finish, fail, settleFromEarlier, threadSession };
};

export type AnswerEnding = ReturnType<typeof createAnswerEnding>;
