import { bestEffort } from '../core/best-effort.js';
import type { Config } from '../core/config.js';
import { userMessageFor } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { allBadges, switchBadge } from '../out/badges.js';
import type { SlackPoster } from '../out/poster.js';
import { isChannelGone } from '../out/slack-error.js';
import { METADATA, type MetadataHit, type ThreadReader } from '../out/threads.js';
import type { RequestState, RequestStore } from '../sessions/requests.js';
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

/**
 * What an earlier run of this job left in its thread: its answer (payload `job_id`) or its failure
 * note (payload `failed_job_id`). Finding either proves the earlier run got that far.
 */
export const findEarlierRun = (
  reader: Pick<ThreadReader, 'findByMetadata'>,
  data: AnswerJob,
  jobId: string,
): Promise<MetadataHit | undefined> =>
  reader.findByMetadata(
    data.request.channelId,
    data.threadTs,
    (type, payload) =>
      (type === METADATA.answer && payload.job_id === jobId) ||
      (type === METADATA.note && payload.failed_job_id === jobId),
  );

export interface AnswerEndingDeps {
  poster: Pick<SlackPoster, 'reply' | 'react' | 'unreact'>;
  requests: Pick<RequestStore, 'update'>;
  fairness: Pick<Fairness, 'removeQueued' | 'releaseRunning'>;
  config: Pick<Config, 'emoji'>;
  metrics: Pick<Metrics, 'answers'>;
  logger: Logger;
}

/**
 * How a background request ends, whatever ended it: its record gets its final state, and its
 * queued-cap entry and running slot are given back. Every step is best-effort and logged, so
 * one failing step (Redis blip) never keeps the others from running.
 */
export const createAnswerEnding = (deps: AnswerEndingDeps) => {
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
  };

  /**
   * The final-failure path: one note in the thread saying what went wrong and how to retry, the
   * failure badge, and the record `failed`. The note carries `failed_job_id`, so a re-run of the
   * job finds it and does not fail twice. When the conversation is closed to the bot, the note and
   * badge would fail the same way, so they are not tried.
   */
  const fail = async (data: AnswerJob, jobId: string, err: unknown, log: Logger) => {
    const { request } = data;
    const { emoji } = deps.config;
    const gone = isChannelGone(err);
    if (gone) log.info({ channelId: request.channelId }, 'conversation closed to the bot; no failure note');
    else {
      await bestEffort(log, 'failure note', () =>
        deps.poster.reply({ channelId: request.channelId, threadTs: data.threadTs }, failureText(err), {
          metadata: {
            event_type: METADATA.note,
            event_payload: { request_id: request.id, failed_job_id: jobId },
          },
        }),
      );
      await bestEffort(log, 'failure badge', () =>
        switchBadge(deps.poster, request.channelId, data.badgeTs, emoji.failed, [
          emoji.running,
          emoji.queued,
        ]),
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
   * Ends a request whose earlier run already told the thread how it went (see findEarlierRun):
   * the badge and record follow what is there, and nothing is posted again.
   */
  const settleFromEarlier = async (
    data: AnswerJob,
    jobId: string,
    earlier: MetadataHit,
    log: Logger,
  ): Promise<'answered' | 'failed'> => {
    const answered = earlier.eventType === METADATA.answer;
    const { emoji } = deps.config;
    // A re-run does not know which badges are there, so every other one comes off.
    await bestEffort(log, 'badge', () =>
      switchBadge(
        deps.poster,
        data.request.channelId,
        data.badgeTs,
        answered ? emoji.done : emoji.failed,
        allBadges(emoji),
      ),
    );
    await finish(data, jobId, answered ? { state: 'done', unread: true } : { state: 'failed' }, log);
    return answered ? 'answered' : 'failed';
  };

  return { finish, fail, settleFromEarlier };
};

export type AnswerEnding = ReturnType<typeof createAnswerEnding>;
