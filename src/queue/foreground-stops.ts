import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { StoppedBy } from '../core/stop.js';
import type { Keys } from '../sessions/keys.js';

/** One stop, as published: whose answer, who pressed stop, the streams Slack stopped. */
const stopNoticeSchema = z.object({
  requestId: z.string().min(1),
  userId: z.string().min(1),
  streams: z.array(z.string()).max(50),
});
export type StopNotice = z.infer<typeof stopNoticeSchema>;

/**
 * Stops of foreground answers, across web processes. A foreground answer runs in whichever web
 * process took its intake job, and a stop is handled by whichever one took the stop's: so every
 * stop is published on one Redis channel, every web process listens, and the one running that
 * answer aborts it (with a `StoppedBy` reason). Pub/sub reaches the other processes in
 * milliseconds; a process that is not subscribed at that moment simply runs no answer to stop.
 */
export const createForegroundStops = (deps: {
  /** A connection of its own: a subscribed client does nothing else. */
  subscriber: Redis;
  redis: Redis;
  keys: Pick<Keys, 'stopChannel'>;
  logger: Logger;
}) => {
  const channel = deps.keys.stopChannel();
  const answers = new Map<string, AbortController>();
  deps.subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    let notice: StopNotice;
    try {
      notice = stopNoticeSchema.parse(JSON.parse(message));
    } catch {
      deps.logger.warn({}, 'unreadable stop notice ignored');
      return;
    }
    const answer = answers.get(notice.requestId);
    if (!answer || answer.signal.aborted) return;
    deps.logger.info({ requestId: notice.requestId, stoppedBy: notice.userId }, 'stopping foreground answer');
    answer.abort(new StoppedBy(notice.userId, notice.streams));
  });
  return {
    start: () => deps.subscriber.subscribe(channel),
    /** A foreground answer starts here: its controller aborts when a stop for it is published. */
    track(requestId: string): AbortController {
      const ctl = new AbortController();
      answers.set(requestId, ctl);
      return ctl;
    },
    untrack(requestId: string, ctl: AbortController) {
      if (answers.get(requestId) === ctl) answers.delete(requestId);
    },
    /** Tells every web process; resolves with how many were listening. */
    publish(notice: StopNotice): Promise<number> {
      return deps.redis.publish(channel, JSON.stringify(notice));
    },
  };
};

export type ForegroundStops = ReturnType<typeof createForegroundStops>;
