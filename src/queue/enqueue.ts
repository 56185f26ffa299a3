import type { Queue } from 'bullmq';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { withTimeout } from '../redis.js';
import type { RequestStore } from '../sessions/requests.js';
import type { SlackPoster } from '../slack/poster.js';
import { METADATA } from '../slack/threads.js';
import type { Fairness } from './fairness.js';
import { type AnswerJob, answerJobId, answerJobOptions, PRIORITY, QUEUES } from './registry.js';

export interface EnqueueDeps {
  queue: Pick<Queue, 'add' | 'getCountsPerPriority'>;
  poster: Pick<SlackPoster, 'react' | 'unreact' | 'reply'>;
  requests: Pick<RequestStore, 'create' | 'update' | 'get' | 'saveJob'>;
  fairness: Pick<Fairness, 'addQueued' | 'removeQueued'>;
  config: Pick<Config, 'queue' | 'emoji'>;
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

/** Title of a request on the Home tab: its first line, shortened. */
export const titleOf = (question: string) => {
  const line = question.split('\n').find((l) => l.trim()) ?? question;
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
};

/**
 * Hands a request to the background queue. The user's cap is checked, then the job is added (the
 * producer fails fast when Redis is down), and only then is the user told it is queued: never
 * "queued" for a job that was not.
 */
export const createEnqueuer = (deps: EnqueueDeps) => ({
  async enqueue(job: AnswerJob): Promise<{ ahead: number; jobId: string }> {
    const { request } = job;
    const underCap = await deps.fairness
      .addQueued(request.teamId, request.userId, request.id)
      .catch((cause) => {
        throw new AppError('redis_unavailable', 'could not check the queued cap', { cause, retryable: true });
      });
    if (!underCap) throw new AppError('user_queue_full', `user ${request.userId} is at the queued cap`);
    const jobId = answerJobId(request.id, job.retry);
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
      await deps.fairness.removeQueued(request.teamId, request.userId, request.id).catch(() => {});
      throw new AppError('redis_unavailable', 'could not queue the request', { cause, retryable: true });
    }
    // Jobs at this priority or higher that were waiting before this one.
    const mine = PRIORITY[job.priority];
    const priorities = Object.values(PRIORITY).filter((p) => p <= mine);
    const counts = await deps.queue
      .getCountsPerPriority(priorities)
      .catch(() => ({}) as Record<string, number>);
    const ahead = Math.max(0, Object.values(counts).reduce((a, b) => a + b, 0) - 1);

    const existing = await deps.requests.get(request.id);
    const record = {
      state: 'queued' as const,
      path: 'background' as const,
      jobId,
      position: ahead + 1,
      unread: false,
      error: undefined,
    };
    if (existing) await deps.requests.update(request.id, record);
    else
      await deps.requests.create({
        id: request.id,
        teamId: request.teamId,
        userId: request.userId,
        channelId: request.channelId,
        threadTs: job.threadTs,
        badgeTs: job.badgeTs,
        title: titleOf(job.question),
        ...record,
      });

    await deps.requests.saveJob(request.id, job);
    const warn = (what: string) => (err: unknown) =>
      deps.logger.warn({ err: { message: (err as Error).message } }, what);
    if (job.retry) {
      for (const stale of [deps.config.emoji.failed, deps.config.emoji.cancelled])
        await deps.poster.unreact(request.channelId, job.badgeTs, stale).catch(() => {});
    }
    await deps.poster
      .react(request.channelId, job.badgeTs, deps.config.emoji.queued)
      .catch(warn('queued badge failed'));
    await deps.poster
      .reply({ channelId: request.channelId, threadTs: job.threadTs }, queuedNote(ahead, job.reason), {
        metadata: { event_type: METADATA.note, event_payload: { request_id: request.id, kind: 'queued' } },
      })
      .catch(warn('queued note failed'));
    deps.logger.info(
      { requestId: request.id, jobId, priority: job.priority, reason: job.reason, ahead },
      'queued',
    );
    return { ahead, jobId };
  },
});

export type Enqueuer = ReturnType<typeof createEnqueuer>;
