import type { WebClient } from '@slack/web-api';
import type { ThreadTarget } from '../core/domain.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { RunOptions } from './slack-budget.js';
import type { SlackCall } from './slack-call.js';
import { slackErrorCode } from './slack-error.js';
import type { StatusHandle, StatusKeeper } from './status.js';

export { newTopic, SESSION_TITLE_MAX, sessionTitle } from './session-title.js';

/**
 * A request's visible status: one Slack agent session per thread (`agents.sessions.setStatus`:
 * a title, a status and, while `processing`, Slack's stop button). A foreground answer sets
 * `processing` (title and initiator count only on creation); its closing chat.stopStream moves it
 * on (`session_status`; Slack: "transition the session away from processing using either
 * agents.sessions.setStatus or chat.stopStream"), else one more setStatus. A background request
 * sets none of its own (its note and badge say where it is); it only settles a session already
 * shown in another status than its thread's work calls for (thread-status.ts). The status last
 * set per thread is remembered (SessionSupport, Redis), so a write that changes nothing is not made.
 *
 * A workspace or app that cannot use sessions (not declared as an agent, the feature off, a Slack
 * without the method) falls back to the assistant thread status ("is thinking…", kept alive by
 * status.ts). That fallback is cached per workspace where every process sees it (SessionSupport,
 * Redis), with an expiry so a workspace that turns sessions on later is tried again; it is logged
 * once, by the process that found it. `agents.sessions.*` is Tier 3 and a status does not expire:
 * nothing refreshes it, one call per change at most.
 */

export type SessionStatus = 'processing' | 'active' | 'suspended' | 'closed';
export type SessionThread = Pick<ThreadTarget, 'teamId' | 'channelId' | 'threadTs'>;

/**
 * Errors that mean "this workspace or app cannot have sessions": the app is not declared as an
 * agent (`not_allowed`), the workspace lacks the feature, or this Slack has no such method. Any
 * other error (a channel, an argument, a 429) concerns one call, and says nothing of the next.
 */
const UNSUPPORTED = new Set(['not_allowed', 'feature_not_enabled', 'unknown_method']);

/**
 * Sessions still work without the `agent_session_stopped` subscription; users just get no stop
 * button. So it is used, and the missing subscription logged once per workspace and day.
 */
export const MISSING_STOP_SUBSCRIPTION = 'missing_agent_session_stopped_event_subscription';

/**
 * Where the fallback is remembered: in Redis (sessions/session-support.ts), so every process of a
 * deployment agrees. Reads that fail count as "no fallback known" (sessions are tried).
 */
export interface SessionSupport {
  isFallback(teamId: string): Promise<boolean>;
  /** Caches the fallback for a while; true when this call cached it (the first to notice logs it). */
  fallBack(teamId: string, reason: string): Promise<boolean>;
  /** True the first time a notice is taken for a workspace (within the notice's expiry). */
  firstNotice(teamId: string, notice: string): Promise<boolean>;
  /** The status this app last gave the thread's session (undefined: none known, e.g. no session). */
  lastStatus(thread: SessionThread): Promise<SessionStatus | undefined>;
  /** Remembers the status the thread's session now has (set by setStatus or chat.stopStream). */
  rememberStatus(thread: SessionThread, status: SessionStatus): Promise<void>;
}

/** For a poster without Redis (unit tests): the fallback in this process's memory. */
export const memorySessionSupport = (): SessionSupport => {
  const fallen = new Set<string>();
  const notices = new Set<string>();
  const statuses = new Map<string, SessionStatus>();
  const key = (t: SessionThread) => `${t.teamId} ${t.channelId} ${t.threadTs}`;
  const first = (set: Set<string>, key: string) => {
    if (set.has(key)) return false;
    set.add(key);
    return true;
  };
  return {
    isFallback: async (teamId) => fallen.has(teamId),
    fallBack: async (teamId) => first(fallen, teamId),
    firstNotice: async (teamId, notice) => first(notices, `${teamId} ${notice}`),
    lastStatus: async (thread) => statuses.get(key(thread)),
    rememberStatus: async (thread, status) => {
      statuses.set(key(thread), status);
    },
  };
};

/** Work under way in a thread, as the user sees it: a session `processing`, or the assistant status. */
export interface SessionWork {
  /** Whether the user sees that the bot is at work (else the answer shows a placeholder). */
  readonly shown: boolean;
  /** A real agent session (not the assistant-status fallback): chat.stopStream may move it. */
  readonly session: boolean;
  /**
   * The work is over or back in the queue: the session moves to `next` (left as it is when
   * undefined: other work in the thread goes on); the fallback status is cleared. At most once.
   * `byStream`: the answer's chat.stopStream already moved it there (`session_status`), so only
   * that is remembered, with no call.
   */
  end(next: 'active' | 'suspended' | undefined, opts?: { byStream?: boolean }): Promise<void>;
}

export interface WorkOptions {
  title: string;
  initiator: string;
  /** The assistant status text where sessions are not available ("is thinking…"). */
  status: string;
}

export interface AgentSessions {
  /** Work starts, or starts again: `processing`, else the assistant status. Never rejects. */
  processing(thread: SessionThread, opts: WorkOptions): Promise<SessionWork>;
  /** The thread changed topic: the session gets the new title. Never rejects. */
  rename(thread: SessionThread, title: string): Promise<boolean>;
  /**
   * Moves a session to `status` (e.g. `active` once its work was stopped or ended elsewhere). A
   * no-op on a workspace without sessions. `ifShown`: only when this app is known to have given
   * the thread a session in another status (no call creates a session just to say `active`, or
   * repeats the status it has). Resolves true when Slack took it. Never rejects.
   */
  setSessionStatus(
    thread: SessionThread,
    status: SessionStatus,
    opts?: { ifShown?: boolean },
  ): Promise<boolean>;
}

export interface AgentSessionDeps {
  client: Pick<WebClient, 'agents'>;
  call: SlackCall;
  status: Pick<StatusKeeper, 'setStatus'>;
  support: SessionSupport;
  logger: Logger;
}

type Sent = 'ok' | 'fallback' | 'failed';

export const createAgentSessions = (deps: AgentSessionDeps): AgentSessions => {
  const { client, call, support } = deps;
  const log = deps.logger.child({ component: 'agent-session' });
  // Workspaces whose missing-subscription warning this process already passed on (or saw logged).
  const warned = new Set<string>();

  const isFallback = async (teamId: string) => {
    try {
      return await support.isFallback(teamId);
    } catch (err) {
      log.debug({ teamId, err: errorFields(err) }, 'session fallback unknown; trying sessions');
      return false;
    }
  };

  const fallBack = async (teamId: string, slackError: string) => {
    try {
      if (await support.fallBack(teamId, slackError))
        log.warn(
          { teamId, slackError },
          'agent sessions unavailable in this workspace; using the assistant thread status instead',
        );
    } catch (err) {
      log.warn({ teamId, slackError, err: errorFields(err) }, 'could not remember the session fallback');
    }
  };

  const warnings = (res: { warning?: string; response_metadata?: { warnings?: string[] } }) => [
    ...(res.warning ? res.warning.split(',') : []),
    ...(res.response_metadata?.warnings ?? []),
  ];

  const noteWarnings = async (teamId: string, res: Parameters<typeof warnings>[0]) => {
    if (warned.has(teamId) || !warnings(res).includes(MISSING_STOP_SUBSCRIPTION)) return;
    warned.add(teamId);
    const first = await support.firstNotice(teamId, MISSING_STOP_SUBSCRIPTION).catch(() => true);
    if (first)
      log.warn(
        { teamId, slackWarning: MISSING_STOP_SUBSCRIPTION },
        'agent sessions show no stop button: subscribe the app to agent_session_stopped (manifest.yml)',
      );
  };

  /** One Slack call of the session API; the outcome, never an exception. */
  const send = async (
    method: 'agents.sessions.setStatus' | 'agents.sessions.rename',
    thread: SessionThread,
    fn: () => Promise<Parameters<typeof warnings>[0]>,
    what: Record<string, unknown>,
    runOpts?: RunOptions,
  ): Promise<Sent> => {
    if (await isFallback(thread.teamId)) return 'fallback';
    try {
      await noteWarnings(thread.teamId, await call(method, thread.channelId, fn, runOpts));
      return 'ok';
    } catch (err) {
      const slackError = slackErrorCode(err);
      if (slackError && UNSUPPORTED.has(slackError)) {
        await fallBack(thread.teamId, slackError);
        return 'fallback';
      }
      log.warn(
        { channel: thread.channelId, threadTs: thread.threadTs, ...what, slackError, err: errorFields(err) },
        'agent session not updated',
      );
      return 'failed';
    }
  };

  const remember = async (thread: SessionThread, status: SessionStatus) => {
    try {
      await support.rememberStatus(thread, status);
    } catch (err) {
      log.debug({ threadTs: thread.threadTs, err: errorFields(err) }, 'session status not remembered');
    }
  };

  const setStatus = async (
    thread: SessionThread,
    status: SessionStatus,
    created: { title?: string; initiator?: string } = {},
    runOpts?: RunOptions,
  ): Promise<Sent> => {
    const sent = await send(
      'agents.sessions.setStatus',
      thread,
      () =>
        client.agents.sessions.setStatus({
          channel_id: thread.channelId,
          thread_ts: thread.threadTs,
          status,
          ...(created.title ? { title: created.title } : {}),
          ...(created.initiator ? { initiator_user_id: created.initiator } : {}),
        }),
      { status },
      runOpts,
    );
    if (sent === 'ok') await remember(thread, status);
    return sent;
  };

  /** Whether an `ifShown` move would change what Slack shows; unknown (Redis blip) counts as yes. */
  const changes = async (thread: SessionThread, status: SessionStatus) => {
    try {
      const last = await support.lastStatus(thread);
      return last !== undefined && last !== status;
    } catch (err) {
      log.debug({ threadTs: thread.threadTs, err: errorFields(err) }, 'session status unknown; setting it');
      return true;
    }
  };

  const sessionWork = (thread: SessionThread): SessionWork => {
    let ended = false;
    return {
      shown: true,
      session: true,
      end: async (next, opts = {}) => {
        if (ended) return;
        ended = true;
        if (!next) return;
        if (opts.byStream) await remember(thread, next);
        // Waits out a 429: a session left `processing` keeps showing a stop button for nothing.
        else await setStatus(thread, next);
      },
    };
  };

  const statusWork = (handle: StatusHandle): SessionWork => ({
    get shown() {
      return handle.shown;
    },
    session: false,
    end: (_next) => handle.stop({ clear: true }),
  });

  return {
    async processing(thread, opts) {
      // A 429 here is not waited out: the assistant status shows the work at once instead.
      const sent = await setStatus(
        thread,
        'processing',
        { title: opts.title, initiator: opts.initiator },
        { retryOnRateLimit: false },
      );
      if (sent === 'ok') return sessionWork(thread);
      return statusWork(await deps.status.setStatus(thread, opts.status));
    },
    rename: async (thread, title) =>
      (await send(
        'agents.sessions.rename',
        thread,
        () =>
          client.agents.sessions.rename({ channel_id: thread.channelId, thread_ts: thread.threadTs, title }),
        { rename: true },
      )) === 'ok',
    setSessionStatus: async (thread, status, opts = {}) => {
      if (opts.ifShown && !(await changes(thread, status))) return false;
      return (await setStatus(thread, status)) === 'ok';
    },
  };
};
