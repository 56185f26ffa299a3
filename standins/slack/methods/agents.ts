import { SESSION_STATUSES, type SessionStatus } from '../agent-sessions.js';
import { asString, fail, required } from '../params.js';
import type { Params } from '../types.js';
import type { Workspace } from '../workspace.js';
import type { Handler } from './handler.js';

/** Slack: "Title for the agent session (max 200 characters)"; rename: 1-200 characters. */
const TITLE_MAX = 200;
const MISSING_STOP = 'missing_agent_session_stopped_event_subscription';

/** The thread a session call names (its root), after Slack's checks of the workspace and channel. */
const sessionThread = (p: Params, ws: Workspace, method: string) => {
  if (ws.agents.refusal) throw fail(ws.agents.refusal);
  const channel = required(p, 'channel_id');
  const threadTs = required(p, 'thread_ts');
  ws.checkChannel(method, channel);
  return { channel, threadTs: ws.store.rootOf(channel, threadTs) };
};

const checkTitle = (title: string | undefined, min: number) => {
  if (title === undefined) return;
  const n = Array.from(title).length;
  if (n < min || n > TITLE_MAX)
    throw fail('invalid_arguments', [`title must be between ${min} and ${TITLE_MAX} characters`]);
};

/**
 * `agents.sessions.setStatus` creates a thread's session (title and initiator count only then) or
 * changes its status; `agents.sessions.rename` retitles one. A post in the thread changes nothing:
 * a session's status moves only when the app moves it (here, or with chat.stopStream's `session_status`).
 */
export const agentMethods: Record<string, Handler> = {
  'agents.sessions.setStatus': (p, { ws }) => {
    const { channel, threadTs } = sessionThread(p, ws, 'agents.sessions.setStatus');
    const status = asString(p.status);
    if (!status || !SESSION_STATUSES.includes(status as SessionStatus))
      throw fail('invalid_arguments', [`status must be one of ${SESSION_STATUSES.join(', ')}`]);
    const title = asString(p.title);
    checkTitle(title, 0);
    const key = ws.agents.key(channel, threadTs);
    const at = Date.now();
    const existing = ws.agents.sessions.get(key);
    const session = existing ?? {
      channel,
      threadTs,
      status: status as SessionStatus,
      title: title ?? '',
      ...(asString(p.initiator_user_id) ? { initiator: asString(p.initiator_user_id) } : {}),
      history: [],
    };
    session.status = status as SessionStatus;
    session.history.push({ status: session.status, title: session.title, kind: 'status', at });
    ws.agents.sessions.set(key, session);
    const warned = ws.agents.missingStopSubscription
      ? { warning: MISSING_STOP, response_metadata: { warnings: [MISSING_STOP] } }
      : {};
    return { status: session.status, agent_status: session.status, title: session.title, ...warned };
  },

  'agents.sessions.rename': (p, { ws }) => {
    const { channel, threadTs } = sessionThread(p, ws, 'agents.sessions.rename');
    const title = asString(p.title);
    if (title === undefined) throw fail('invalid_arguments', ['missing required field: title']);
    checkTitle(title, 1);
    const session = ws.agents.sessions.get(ws.agents.key(channel, threadTs));
    if (!session) throw fail('session_not_found');
    session.title = title;
    session.history.push({ status: session.status, title, kind: 'rename', at: Date.now() });
    return { title };
  },
};
