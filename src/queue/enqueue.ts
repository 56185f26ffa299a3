import type { Queue } from 'bullmq';
import { bestEffort } from '../core/best-effort.js';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { withTimeout } from '../core/time.js';
import { sessionTitle } from '../out/agent-session.js';
import type { SlackPoster } from '../out/poster.js';
import { newRequestRecord } from '../sessions/request-record.js';
import type { RequestStore } from '../sessions/requests.js';
import type { Fairness } from './fairness.js';
import { type AnswerJob, answerJobId, answerJobOptions, PRIORITY, QUEUES } from './registry.js';

export interface EnqueueDeps {
  queue: Pick<Queue, 'add' | 'getCountsPerPriority'>;
  poster: Pick<SlackPoster, 'badge' | 'unbadge' | 'note' | 'remove' | 'sessions'>;
  requests: Pick<RequestStore, 'create' | 'update' | 'get' | 'saveJob'>;
  fairness: Pick<Fairness, 'addQueued' | 'removeQueued'>;
  config: Pick<Config, 'queue'>;
  logger: Logger;
}

export const queuedNote = (ahead: number, reason: AnswerJob['reason']) => {
  const position = ahead === 0 ? "you're next" : `${ahead} ahead of you`;
  const why =
    reason === 'overflow'
      ? "I'm busy right now, so I queued this: "
      : reason === 'long'
        ? 'This is a long one, so I queued it: '
        : reason === 'retry'
          ? 'Trying again: queued, '
          : 'Queued, ';
  return `${why}${position}. I'll reply here when it's done.`;
};

/**
 * Hands a request to the background queue. The user's cap is checked and the request recorded
 * (both on the fail-fast producer: if Redis is down, nothing is said to the user). Then the session
 * `suspended`, the ⏳ badge and the "Queued" note, so they always come before what a fast worker
 * does (the session `processing`, the answer); then the job. If adding the job fails, they are taken
 * back: never "queued" for a job that was not.
 */
export const createEnqueuer = (deps: EnqueueDeps) => ({
  async enqueue(job: AnswerJob): Promise<{ ahead: number; jobId: string }> {
    const { request } = job;
    const jobId = answerJobId(request.id, job.retry);
    const log = deps.logger.child({ requestId: request.id, jobId });
    const unavailable = (what: string) => (cause: unknown) => {
      throw new AppError('redis_unavailable', what, { cause, retryable: true });
    };

    const giveBackCap = () =>
      bestEffort(log, 'queued cap', () =>
        deps.fairness.removeQueued(request.teamId, request.userId, request.id),
      );

    const underCap = await deps.fairness
      .addQueued(request.teamId, request.userId, request.id)
      .catch(unavailable('could not check the queued cap'));
    if (!underCap) throw new AppError('user_queue_full', `user ${request.userId} is at the queued cap`);

    const previous = await deps.requests.get(request.id).catch(unavailable('could not read the request'));
    // Jobs at this priority or higher already waiting: the ones ahead of this one.
    const mine = PRIORITY[job.priority];
    // Only the note's "n ahead of you" depends on it: without the counts it says "you're next".
    const counts = await bestEffort(log, 'queue position', () =>
      deps.queue.getCountsPerPriority(Object.values(PRIORITY).filter((p) => p <= mine)),
    );
    const ahead = Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
    const queued = {
      state: 'queued' as const,
      path: 'background' as const,
      jobId,
      position: ahead + 1,
      error: undefined,
    };
    try {
      if (previous) await deps.requests.update(request.id, { ...queued, unread: false });
      else await deps.requests.create(newRequestRecord(job, queued));
      await deps.requests.saveJob(request.id, job);
    } catch (cause) {
      await giveBackCap();
      throw new AppError('redis_unavailable', 'could not record the request', { cause, retryable: true });
    }
    const thread = { teamId: request.teamId, channelId: request.channelId, threadTs: job.threadTs };
    const suspended = await deps.poster.sessions.suspended(thread, {
      title: sessionTitle(job.question),
      initiator: request.userId,
    });
    // A retried request trades its ❌ or 🚫 for ⏳.
    await bestEffort(log, 'queued badge', () =>
      deps.poster.badge(request.channelId, job.badgeTs, 'queued', job.retry ? ['failed', 'cancelled'] : []),
    );
    const note = await bestEffort(log, 'queued note', () =>
      deps.poster.note(
        { channelId: request.channelId, threadTs: job.threadTs },
        queuedNote(ahead, job.reason),
        {
          requestId: request.id,
          kind: 'queued',
        },
      ),
    );

    try {
      await withTimeout(
        deps.queue.add(
          QUEUES.answers.job,
          job,
          answerJobOptions(request.id, job.priority, {
            attempts: deps.config.queue.attempts,
            retentionSeconds: deps.config.queue.retentionSeconds,
            retry: job.retry,
          }),
        ),
        2_000,
        'enqueue',
      );
    } catch (cause) {
      // Take the "queued" back: the cap entry, the badge, the note and the record.
      await giveBackCap();
      await bestEffort(log, 'queued badge removal', () =>
        deps.poster.unbadge(request.channelId, job.badgeTs, 'queued'),
      );
      for (const ts of note ? note.ts : [])
        await bestEffort(log, 'queued note removal', () => deps.poster.remove(request.channelId, ts));
      if (suspended) await deps.poster.sessions.setSessionStatus(thread, 'active');
      await bestEffort(log, 'record rollback', () =>
        deps.requests.update(
          request.id,
          previous ? { state: previous.state } : { state: 'failed', error: 'could not be queued' },
        ),
      );
      throw new AppError('redis_unavailable', 'could not queue the request', { cause, retryable: true });
    }
    log.info({ priority: job.priority, reason: job.reason, ahead }, 'queued');
    return { ahead, jobId };
  },
});

export type Enqueuer = ReturnType<typeof createEnqueuer>;
