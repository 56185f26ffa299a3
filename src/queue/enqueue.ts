import type { Queue } from 'bullmq';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { withTimeout } from '../redis.js';
import type { SlackPoster } from '../slack/poster.js';
import { METADATA } from '../slack/threads.js';
import { type AnswerJob, answerJobOptions, PRIORITY, QUEUES } from './registry.js';

export interface EnqueueDeps {
  queue: Pick<Queue, 'add' | 'getCountsPerPriority' | 'getWaitingCount'>;
  poster: Pick<SlackPoster, 'react' | 'reply'>;
  config: Pick<Config, 'queue' | 'emoji'>;
  logger: Logger;
}

export const queuedNote = (ahead: number, reason: AnswerJob['reason']) => {
  const position = ahead === 0 ? "You're next" : `${ahead} ahead of you`;
  const why =
    reason === 'overflow'
      ? "I'm busy right now, so I queued this. "
      : reason === 'long'
        ? 'This is a long one, so I queued it. '
        : '';
  return `${why}Queued, ${position}. I'll reply here when it's done.`;
};

/**
 * Hands a request to the background queue. The job is added first (the producer fails fast when
 * Redis is down), and only then is the user told it is queued: never "queued" for a job that was not.
 */
export const createEnqueuer = (deps: EnqueueDeps) => ({
  async enqueue(job: AnswerJob): Promise<{ ahead: number }> {
    try {
      await withTimeout(
        deps.queue.add(
          QUEUES.answers.job,
          job,
          answerJobOptions(job.request.id, job.priority, {
            attempts: deps.config.queue.attempts,
            retentionSeconds: deps.config.queue.retentionSeconds,
          }),
        ),
        2_000,
        'enqueue',
      );
    } catch (cause) {
      throw new AppError('redis_unavailable', 'could not queue the request', { cause, retryable: true });
    }
    // Jobs at this priority or higher that were waiting before this one.
    const mine = PRIORITY[job.priority];
    const priorities = Object.values(PRIORITY).filter((p) => p <= mine);
    const counts = await deps.queue
      .getCountsPerPriority(priorities)
      .catch(() => ({}) as Record<string, number>);
    const ahead = Math.max(0, Object.values(counts).reduce((a, b) => a + b, 0) - 1);
    const target = { channelId: job.request.channelId, threadTs: job.threadTs };
    await deps.poster
      .react(job.request.channelId, job.badgeTs, deps.config.emoji.queued)
      .catch((err) => deps.logger.warn({ err: { message: (err as Error).message } }, 'queued badge failed'));
    await deps.poster
      .reply(target, queuedNote(ahead, job.reason), {
        metadata: {
          event_type: METADATA.note,
          event_payload: { request_id: job.request.id, kind: 'queued' },
        },
      })
      .catch((err) => deps.logger.warn({ err: { message: (err as Error).message } }, 'queued note failed'));
    deps.logger.info(
      { requestId: job.request.id, priority: job.priority, reason: job.reason, ahead },
      'queued',
    );
    return { ahead };
  },
});

export type Enqueuer = ReturnType<typeof createEnqueuer>;
