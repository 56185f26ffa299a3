import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { bestEffort } from '../core/best-effort.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { sleep } from '../core/time.js';
import type { SlackPoster } from '../out/poster.js';
import type { Keys } from '../sessions/keys.js';
import type { RequestRecord, RequestStore } from '../sessions/requests.js';
import type { ThreadSession } from '../sessions/thread-status.js';
import type { Fairness } from './fairness.js';

export type CancelOutcome =
  | { ok: true; how: 'removed' | 'signalled'; record: RequestRecord }
  | { ok: false; why: 'missing' | 'forbidden' | 'not_active' };

const CANCEL_FLAG_SECONDS = 7 * 86_400;
/** How long a cancel waits for a job recorded `queued` to be in the queue: 10 × 100 ms. */
const JOB_APPEAR_TRIES = 10;
const JOB_APPEAR_STEP_MS = 100;

export interface CancelDeps {
  queue: Pick<Queue, 'getJob'>;
  redis: Redis;
  keys: Pick<Keys, 'cancelled' | 'cancelChannel'>;
  requests: Pick<RequestStore, 'get' | 'update' | 'activeForUser' | 'getJob'>;
  fairness: Pick<Fairness, 'removeQueued'>;
  poster: Pick<SlackPoster, 'badge' | 'note'>;
  threadSession: Pick<ThreadSession, 'settle'>;
  logger: Logger;
}

/**
 * The record, note, badge and session of a cancelled request; also used by the worker. The note
 * is the request's queued note edited in place (`noteTs`, from its job) when known, else a new
 * one; the 🚫 badge goes on; the session is settled only where one is shown (thread-status.ts).
 * Only the record matters to what happens next: the rest is best-effort, logged. `by`: who
 * cancelled it (the owner unless said otherwise: an admin's stop).
 */
export const announceCancelled = async (
  deps: {
    poster: Pick<SlackPoster, 'badge' | 'note'>;
    requests: Pick<RequestStore, 'update'>;
    fairness: Pick<Fairness, 'removeQueued'>;
    threadSession: Pick<ThreadSession, 'settle'>;
  },
  record: RequestRecord,
  log: Logger,
  opts: { by?: string | undefined; noteTs?: string | undefined } = {},
) => {
  const by = opts.by ?? record.userId;
  await deps.requests.update(record.id, { state: 'cancelled', position: undefined });
  await bestEffort(log, 'queued cap', () =>
    deps.fairness.removeQueued(record.teamId, record.userId, record.id),
  );
  await bestEffort(log, 'cancelled note', () =>
    deps.poster.note(
      { channelId: record.channelId, threadTs: record.threadTs },
      `🚫 Cancelled at <@${by}>'s request.`,
      { requestId: record.id, kind: 'cancelled' },
      opts.noteTs ? { replacing: opts.noteTs } : {},
    ),
  );
  await bestEffort(log, 'cancelled badge', () =>
    deps.poster.badge(record.channelId, record.badgeTs, 'cancelled'),
  );
  await bestEffort(log, 'session status', () =>
    deps.threadSession.settle(
      { teamId: record.teamId, channelId: record.channelId, threadTs: record.threadTs },
      undefined,
      { ifShown: true },
    ),
  );
};

/** The queued note's ts in an answer job's data (read loosely: it may be an older job's). */
const noteTsOf = (data: unknown): string | undefined => {
  const ts = (data as { noteTs?: unknown } | null | undefined)?.noteTs;
  return typeof ts === 'string' ? ts : undefined;
};

/**
 * Cancellation, by the request's owner (or, for Slack's stop button, a workspace admin in the
 * thread: `asAdmin`, checked by the caller). A queued job (waiting, or delayed in a retry backoff)
 * is removed; a running one is told through Redis pub/sub, and its worker aborts the LLM call. A
 * flag on the request (holding who cancelled it) makes a cancelled job that slips into a worker
 * anyway stop at once.
 */
export const createCanceller = (deps: CancelDeps) => {
  /** The job, given a moment to appear: the enqueuer adds it just after recording it `queued`. */
  const jobOf = async (jobId: string) => {
    for (let tries = 1; ; tries++) {
      const job = await deps.queue.getJob(jobId);
      if (job || tries >= JOB_APPEAR_TRIES) return job;
      await sleep(JOB_APPEAR_STEP_MS);
    }
  };
  const cancel = async (
    requestId: string,
    actingUserId: string,
    opts: { asAdmin?: boolean } = {},
  ): Promise<CancelOutcome> => {
    const record = await deps.requests.get(requestId);
    if (!record) return { ok: false, why: 'missing' };
    if (record.userId !== actingUserId && !opts.asAdmin) {
      deps.logger.warn({ requestId, actingUserId }, 'refused to cancel another user’s request');
      return { ok: false, why: 'forbidden' };
    }
    if (
      record.path !== 'background' ||
      (record.state !== 'queued' && record.state !== 'running') ||
      !record.jobId
    )
      return { ok: false, why: 'not_active' };
    await deps.redis.set(deps.keys.cancelled(requestId), actingUserId, 'EX', CANCEL_FLAG_SECONDS);
    const job = await jobOf(record.jobId);
    if (!job) {
      // Still not in the queue: the enqueuer records `queued` (and posts its note) just before it
      // adds the job. The flag stops that job the moment a worker takes it; the request ends now,
      // in the note the enqueuer saved with the job, when it got that far.
      const saved = await deps.requests.getJob(record.id).catch(() => undefined);
      await announceCancelled(deps, record, deps.logger, { by: actingUserId, noteTs: noteTsOf(saved) });
      deps.logger.info({ requestId, jobId: record.jobId }, 'job cancelled before it was queued');
      return { ok: true, how: 'removed', record };
    }
    const state = await job.getState();
    // BullMQ 6 has no `paused` state: a job in a paused queue reads as `waiting`.
    if (['waiting', 'prioritized', 'delayed', 'waiting-children'].includes(state)) {
      const removed = await job.remove().then(
        () => true,
        (err: unknown) => {
          // Taken by a worker meanwhile (BullMQ refuses to remove a locked job): tell the worker instead.
          deps.logger.info(
            { requestId, jobId: record.jobId, err: errorFields(err) },
            'could not cancel the queued job in place; signalling it',
          );
          return false;
        },
      );
      if (removed) {
        await announceCancelled(deps, record, deps.logger, {
          by: actingUserId,
          noteTs: noteTsOf(job.data),
        });
        deps.logger.info({ requestId, jobId: record.jobId, state }, 'queued job cancelled');
        return { ok: true, how: 'removed', record };
      }
    }
    if (state === 'completed' || state === 'failed') return { ok: false, why: 'not_active' };
    await deps.redis.publish(deps.keys.cancelChannel(), record.jobId);
    deps.logger.info({ requestId, jobId: record.jobId, state }, 'running job told to cancel');
    return { ok: true, how: 'signalled', record };
  };

  return {
    cancel,
    /**
     * `/ask cancel`: the caller's newest queued or running background request, from the index of
     * active ones (found however many finished requests are newer).
     */
    async cancelNewest(teamId: string, userId: string): Promise<CancelOutcome> {
      const mine = await deps.requests.activeForUser(teamId, userId);
      const newest = mine.sort((a, b) => b.createdAt - a.createdAt)[0];
      if (!newest) return { ok: false, why: 'not_active' };
      return cancel(newest.id, userId);
    },
  };
};

export type Canceller = ReturnType<typeof createCanceller>;

/**
 * Worker side: one subscriber connection per process; running jobs register an AbortController
 * that a cancel message for their job id aborts.
 */
export const createCancelWatch = (deps: {
  subscriber: Redis;
  redis: Redis;
  keys: Pick<Keys, 'cancelled' | 'cancelChannel'>;
  logger: Logger;
}) => {
  const running = new Map<string, AbortController>();
  deps.subscriber.on('message', (channel: string, jobId: string) => {
    // The connection may carry other channels (the web role's stops, in a process running both).
    if (channel !== deps.keys.cancelChannel()) return;
    const ctl = running.get(jobId);
    if (ctl) {
      deps.logger.info({ jobId }, 'cancelling running job');
      ctl.abort(new Error('cancelled'));
    }
  });
  return {
    start: () => deps.subscriber.subscribe(deps.keys.cancelChannel()),
    track(jobId: string): AbortController {
      const ctl = new AbortController();
      running.set(jobId, ctl);
      return ctl;
    },
    untrack(jobId: string) {
      running.delete(jobId);
    },
    /**
     * Whether the request was cancelled, and by whom when the flag says (flags written before it
     * held '1'): one read.
     */
    async cancelled(requestId: string): Promise<{ by: string | undefined } | undefined> {
      const by = await deps.redis.get(deps.keys.cancelled(requestId));
      if (by === null) return undefined;
      return { by: by && by !== '1' ? by : undefined };
    },
  };
};

export type CancelWatch = ReturnType<typeof createCancelWatch>;
