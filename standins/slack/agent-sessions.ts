/**
 * Agent sessions and Messages-tab prompts as the stand-in keeps them: per thread, the session's
 * status, title and initiator with every change in order; per DM channel, the suggested prompts.
 * What Slack refuses or warns about is switchable, so a test can play a workspace without
 * sessions or an app without the `agent_session_stopped` subscription.
 */

export type SessionStatus = 'processing' | 'active' | 'suspended' | 'closed';
export const SESSION_STATUSES: readonly SessionStatus[] = ['processing', 'active', 'suspended', 'closed'];

/** One change to a session, as Slack recorded it. */
export interface SessionChange {
  status: SessionStatus;
  /** The title after this change. */
  title: string;
  /** What changed: a status set, or the title renamed. */
  kind: 'status' | 'rename';
  at: number;
}

export interface AgentSession {
  channel: string;
  threadTs: string;
  status: SessionStatus;
  title: string;
  initiator?: string;
  history: SessionChange[];
}

export interface SuggestedPrompts {
  prompts: { title: string; message: string }[];
  title?: string;
  at: number;
}

/** How the workspace answers the session methods: refused with an error, or Slack's own error for a missing method. */
export type SessionsRefusal = 'feature_not_enabled' | 'not_allowed' | 'unknown_method';

export class AgentSessionsState {
  readonly sessions = new Map<string, AgentSession>();
  readonly prompts = new Map<string, SuggestedPrompts>();
  /** Set: every `agents.sessions.*` call fails with this error. */
  refusal: SessionsRefusal | undefined;
  /** The app lacks the `agent_session_stopped` subscription: setStatus warns (and users get no stop button). */
  missingStopSubscription = false;

  clear(): void {
    this.sessions.clear();
    this.prompts.clear();
    this.refusal = undefined;
    this.missingStopSubscription = false;
  }

  key(channel: string, threadTs: string): string {
    return `${channel}/${threadTs}`;
  }
}
