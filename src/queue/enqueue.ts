import type { Queue } from 'bullmq';
import { bestEffort } from '../core/best-effort.js';
import type { Config } from '../core/config.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { withTimeout } from '../core/time.js';
import type { SlackPoster } from '../out/poster.js';
import { newRequestRecord } from '../sessions/request-record.js';
import type { RequestRecord, RequestStore } from '../sessions/requests.js';
import type { Fairness } from './fairness.js';
import { type AnswerJob, answerJobId, answerJobOptions, PRIORITY, QUEUES } from './registry.js';

export interface EnqueueDeps {
  queue: Pick<Queue, 'add' | 'getCountsPerPriority'>;
  poster: Pick<SlackPoster, 'unbadge' | 'badge' | 'note' | 'remove' | 'postEphemeral'>;
  requests: Pick<RequestStore, 'create' | 'update' | 'get' | 'saveJob'>;
  fairness: Pick<Fairness, 'addQueued' | 'removeQueued'>;
  config: Pick<Config, 'queue' | 'emoji'>;
  logger: Logger;
}

/** The queued note: the ⏳ (its configured emoji), why, and the place in the queue. */
export const queuedNote = (ahead: number, reason: AnswerJob['reason'], emoji = 'hourglass_flowing_sand') => {
  const position = ahead === 0 ? "you're next" : `${ahead} ahead of you`;
  const why =
    reason === 'overflow'
      ? "I'm busy right now, so I queued this: "
      : reason === 'long'
        ? 'This is a long one, so I queued it: '
        : reason === 'retry'
          ? 'Trying again: queued, '
          : 'Queued, ';
  return `:${emoji}: ${why}${position}. I'll reply here when it's done.`;
};

/**
 * The end badge a request wears from an earlier background run, which a retry takes off (none
 * otherwise: a foreground answer wears no badge, so nothing is removed that can only fail).
 */
const endBadgeOf = (previous: Pick<RequestRecord, 'state' | 'path'> | undefined) => {
  if (previous?.path !== 'background') return undefined;
  return previous.state === 'failed' ? 'failed' : previous.state === 'cancelled' ? 'cancelled' : undefined;
};

/**
 * Hands a request to the background queue. The user's cap is checked and the request recorded
 * (both on the fail-fast producer: if Redis is down, nothing is said to the user). Then its one
 * note in the thread, "⏳ Queued, n ahead of you", which the answer later replaces in place (its
 * ts rides in the job); a retried request also sheds its ❌ or 🚫. So one Slack write here, and
 * it comes before anything a fast worker does. No session status: the note says where it is.
 * Then the job. If adding the job fails, the note and the record are taken back (and the old badge
 * put back): never "queued" for a job that was not.
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
    } catch (cause) {
      await giveBackCap();
      throw new AppError('redis_unavailable', 'could not record the request', { cause, retryable: true });
    }
    // A retried request trades its ❌ or 🚫 (the record says which it wears) for the note's ⏳.
    const wore = job.retry ? endBadgeOf(previous) : undefined;
    if (wore)
      await bestEffort(log, 'old badge removal', () =>
        deps.poster.unbadge(request.channelId, job.badgeTs, wore),
      );
    const noteText = queuedNote(ahead, job.reason, deps.config.emoji.queued);
    // A private request (the policy's `private`) is told privately, with nothing left in the thread.
    const note = job.policy?.private
      ? await bestEffort(log, 'queued note', async () => {
          const threadTs = job.threadTs;
          await deps.poster.postEphemeral(request.channelId, request.userId, noteText, { threadTs });
          return undefined;
        })
      : await bestEffort(log, 'queued note', () =>
          deps.poster.note({ channelId: request.channelId, threadTs: job.threadTs }, noteText, {
            requestId: request.id,
            kind: 'queued',
          }),
        );
    // A retry's saved job may name its earlier run's note, which now tells how that run ended.
    const { noteTs: _earlier, ...fresh } = job;
    const noteTs = note?.ts[0];
    const queuedJob: AnswerJob = noteTs ? { ...fresh, noteTs } : fresh;

    try {
      await deps.requests.saveJob(request.id, queuedJob);
      await withTimeout(
        deps.queue.add(
          QUEUES.answers.job,
          queuedJob,
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
      // Take the "queued" back: the cap entry, the note and the record (and the old badge back on).
      await giveBackCap();
      for (const ts of note ? note.ts : [])
        await bestEffort(log, 'queued note removal', () => deps.poster.remove(request.channelId, ts));
      if (wore)
        await bestEffort(log, 'old badge', () => deps.poster.badge(request.channelId, job.badgeTs, wore));
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
