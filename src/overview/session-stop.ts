import { bestEffort } from '../core/best-effort.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SlackPoster } from '../out/poster.js';
import type { WorkspaceAdmins } from '../out/workspace-admins.js';
import type { Canceller } from '../queue/cancel.js';
import type { ForegroundStops } from '../queue/foreground-stops.js';
import type { SessionStoppedJob } from '../queue/registry.js';
import type { HistoryStore } from '../sessions/history.js';
import type { RequestRecord, RequestStore } from '../sessions/requests.js';
import type { ThreadRef } from '../sessions/thread-lock.js';
import type { ThreadSession } from '../sessions/thread-status.js';

export interface SessionStopDeps {
  requests: Pick<RequestStore, 'inThread'>;
  canceller: Pick<Canceller, 'cancel'>;
  stops: Pick<ForegroundStops, 'publish'>;
  admins: Pick<WorkspaceAdmins, 'isAdmin'>;
  /** The thread's turns: whether a user has written there. */
  history: Pick<HistoryStore, 'load'>;
  poster: Pick<SlackPoster, 'postEphemeral'>;
  /**
   * Moves the session's status away from `processing` (Slack does not, after a stop), when no
   * stopped request does so itself as it ends.
   */
  threadSession: Pick<ThreadSession, 'settle'>;
  logger: Logger;
}

const COULD_NOT_CHECK =
  'I could not check whether you may stop this, so it keeps going. Please try again in a moment.';

/** Names the askers of work that keeps going, for the private refusal. */
export const refusalText = (refused: readonly RequestRecord[], stoppedOwn: boolean): string => {
  const askers = [...new Set(refused.map((r) => `<@${r.userId}>`))];
  const many = refused.length > 1;
  const whose =
    askers.length === 1
      ? `${askers[0]}'s request${many ? 's' : ''}`
      : `The requests of ${askers.slice(0, -1).join(', ')} and ${askers.at(-1)}`;
  const who = askers.length === 1 ? 'they' : 'those who asked';
  const rest = `${many ? 'keep' : 'keeps'} going: only ${who} or a workspace admin who has written in this thread can stop ${many ? 'them' : 'it'}.`;
  return `${stoppedOwn ? 'I stopped your request. ' : ''}${whose} ${rest}`;
};

/**
 * Slack's native stop button (`agent_session_stopped`), after the ack. Whatever is in flight in the
 * thread is stopped, if the clicker may: the requester, or a workspace admin or owner who has
 * written in the thread. A foreground answer is stopped through every web process (pub/sub), a
 * background one through the canceller (removed when queued, aborted when running; badge, note and
 * Home as for `/ask cancel`). Anyone else is told privately and nothing changes. Then the session
 * leaves `processing`; with nothing in flight, that is all a stop does.
 */
export const createSessionStop = (deps: SessionStopDeps) => {
  const log = deps.logger.child({ component: 'session-stop' });

  /** Has the user written in the thread? The cache first; a fresh read if it might predate them. */
  const wroteIn = async (thread: ThreadRef, userId: string): Promise<boolean> => {
    const wrote = (turns: { role: string; userId?: string }[]) =>
      turns.some((t) => t.role === 'user' && t.userId === userId);
    const cached = await deps.history.load(thread);
    if (wrote(cached.turns)) return true;
    return !cached.fetched && wrote((await deps.history.load(thread, { fresh: true })).turns);
  };

  /** Stops one request; resolves whether it ends (and so settles the session) on its own. */
  const stopOne = async (record: RequestRecord, job: SessionStoppedJob): Promise<boolean> => {
    const rlog = log.child({ requestId: record.id, path: record.path });
    if (record.path === 'foreground') {
      const heard = await deps.stops.publish({
        requestId: record.id,
        userId: job.userId,
        streams: job.streamingTs,
      });
      rlog.info({ listeners: heard }, 'foreground stop published');
      return heard > 0;
    }
    const outcome = await deps.canceller.cancel(record.id, job.userId, {
      asAdmin: record.userId !== job.userId,
    });
    rlog.info({ outcome: outcome.ok ? outcome.how : outcome.why }, 'background stop');
    return outcome.ok;
  };

  return {
    async stop(job: SessionStoppedJob): Promise<void> {
      const thread: ThreadRef = { teamId: job.teamId, channelId: job.channelId, threadTs: job.threadTs };
      const tell = (text: string) =>
        bestEffort(log, 'stop reply', () =>
          deps.poster.postEphemeral(job.channelId, job.userId, text, { threadTs: job.threadTs }),
        );
      const moveStatus = () => bestEffort(log, 'session status', () => deps.threadSession.settle(thread));

      const work = await deps.requests.inThread(thread);
      if (work.length === 0) {
        log.info({ threadTs: job.threadTs, userId: job.userId }, 'stop with nothing in flight; status moved');
        await moveStatus();
        return;
      }
      const own = work.filter((r) => r.userId === job.userId);
      const others = work.filter((r) => r.userId !== job.userId);
      let mayStopOthers = false;
      if (others.length) {
        try {
          mayStopOthers =
            (await deps.admins.isAdmin(job.teamId, job.userId)) && (await wroteIn(thread, job.userId));
        } catch (err) {
          log.warn({ err: errorFields(err), userId: job.userId }, 'could not check who may stop');
          if (!own.length) {
            await tell(COULD_NOT_CHECK);
            return;
          }
        }
      }
      const stopping = mayStopOthers ? work : own;
      const refused = mayStopOthers ? [] : others;
      log.info(
        { threadTs: job.threadTs, userId: job.userId, stopping: stopping.length, refused: refused.length },
        'stop clicked',
      );
      let unsettled = false;
      for (const record of stopping) if (!(await stopOne(record, job))) unsettled = true;
      if (refused.length) {
        // Work goes on in the thread: it stays `processing`.
        await tell(refusalText(refused, stopping.length > 0));
        return;
      }
      // Each stopped request settles the session as it ends; one that did not hear the stop (its
      // process is gone) or had already ended leaves it to us.
      if (unsettled) await moveStatus();
    },
  };
};

export type SessionStop = ReturnType<typeof createSessionStop>;
