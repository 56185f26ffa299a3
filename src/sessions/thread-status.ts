import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { RequestRecord } from '../core/request-types.js';
import type { AgentSessions, SessionThread } from '../out/agent-session.js';
import type { RequestStore } from './requests.js';

/**
 * The status a thread's agent session moves to when one request in it ends (`endingId`, which may
 * still read as in flight): `active` when nothing else in the thread is in flight, `suspended` when
 * what is left only waits in the queue, and no change (undefined) while other work still runs there,
 * so one request ending does not take the stop button from another.
 */
export const statusAfter = (
  inThread: readonly Pick<RequestRecord, 'id' | 'state'>[],
  endingId?: string,
): 'active' | 'suspended' | undefined => {
  const rest = inThread.filter((r) => r.id !== endingId);
  if (rest.some((r) => r.state === 'answering' || r.state === 'running')) return undefined;
  return rest.some((r) => r.state === 'queued') ? 'suspended' : 'active';
};

export interface ThreadSessionDeps {
  requests: Pick<RequestStore, 'inThread'>;
  sessions: Pick<AgentSessions, 'setSessionStatus'>;
  logger: Logger;
}

/**
 * Settles a thread's session after a request in it ended (finished, failed, cancelled or stopped).
 * When the thread's work cannot be read, the session goes `active`: a session left `processing`
 * would keep offering a stop button with nothing behind it. `ifShown` (a background request, which
 * sets no status of its own): only a session the bot gave the thread, and only when its status
 * changes. Never rejects.
 */
export const createThreadSession = (deps: ThreadSessionDeps) => {
  const next = async (
    thread: SessionThread,
    endingId?: string,
  ): Promise<'active' | 'suspended' | undefined> => {
    try {
      return statusAfter(await deps.requests.inThread(thread), endingId);
    } catch (err) {
      deps.logger.warn(
        { threadTs: thread.threadTs, err: errorFields(err) },
        'could not read the thread’s work; session goes active',
      );
      return 'active';
    }
  };
  return {
    next,
    async settle(thread: SessionThread, endingId?: string, opts: { ifShown?: boolean } = {}): Promise<void> {
      const status = await next(thread, endingId);
      if (status) await deps.sessions.setSessionStatus(thread, status, opts);
    },
  };
};

export type ThreadSession = ReturnType<typeof createThreadSession>;
