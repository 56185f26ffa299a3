import type { SlackIdentity } from '../core/domain.js';
import { AppError } from '../core/errors.js';
import { currentWorkspace, inWorkspace, type Workspace } from '../core/workspace.js';

/**
 * The workspaces the bot is installed in, and how work enters one. Single-workspace mode: the bot
 * of the settings, for every team. OAuth: each team's installation, looked up when the work runs
 * (so a job whose workspace uninstalled the app finds none), kept in memory for a few seconds.
 */
export interface Workspaces {
  /** The team's workspace, or undefined when the app is not (or no longer) installed there. */
  lookup(teamId: string, enterpriseId?: string): Promise<Workspace | undefined>;
  /** Forgets what it kept of a team (its app was uninstalled or its token revoked). */
  forget(teamId: string): void;
}

/** The team is not (or no longer) installed: its work ends quietly. */
export class WorkspaceGone extends AppError {
  constructor(readonly teamId: string) {
    super('slack_api', `workspace ${teamId} has no installation`);
    this.name = 'WorkspaceGone';
  }
}

export const isWorkspaceGone = (err: unknown): err is WorkspaceGone => err instanceof WorkspaceGone;

/** Runs `fn` in the team's workspace; throws WorkspaceGone when it has none. */
export const runInWorkspace = async <T>(
  workspaces: Pick<Workspaces, 'lookup'>,
  teamId: string,
  fn: () => Promise<T>,
  enterpriseId?: string,
): Promise<T> => {
  const workspace = await workspaces.lookup(teamId, enterpriseId);
  if (!workspace) throw new WorkspaceGone(teamId);
  return inWorkspace(workspace, fn);
};

/** One workspace: the bot of SLACK_BOT_TOKEN, whatever team a piece of work names. */
export const singleWorkspace = (identity: SlackIdentity, botToken: string): Workspaces => {
  const workspace: Workspace = { ...identity, botToken };
  return { lookup: async () => workspace, forget: () => {} };
};

/** How long a looked-up installation is used before it is looked up again. */
export const WORKSPACE_CACHE_MS = 10_000;

/**
 * Many workspaces (OAuth): `authorize` looks up a team's installation (and refreshes a rotating
 * token near expiry). Kept WORKSPACE_CACHE_MS per team, so a burst of jobs costs one lookup; an
 * uninstall is forgotten at once in the process that hears it, and within that time in the others.
 */
export const cachedWorkspaces = (
  authorize: (teamId: string, enterpriseId?: string) => Promise<Workspace | undefined>,
  now: () => number = Date.now,
): Workspaces => {
  const kept = new Map<string, { workspace: Workspace | undefined; until: number }>();
  return {
    async lookup(teamId, enterpriseId) {
      const hit = kept.get(teamId);
      if (hit && hit.until > now()) return hit.workspace;
      const workspace = await authorize(teamId, enterpriseId);
      // A bounded map: entries of teams not seen for a while are dropped when it grows.
      if (kept.size > 10_000) for (const [k, v] of kept) if (v.until <= now()) kept.delete(k);
      kept.set(teamId, { workspace, until: now() + WORKSPACE_CACHE_MS });
      return workspace;
    },
    forget: (teamId) => {
      kept.delete(teamId);
    },
  };
};

/**
 * The bot's identity as the code below the edge reads it: that of the workspace the work runs in,
 * or, outside any (single-workspace mode only), the one of the settings. With OAuth and no
 * workspace entered it throws: a Slack call there would have no token either.
 */
export const scopedIdentity = (fallback?: SlackIdentity): SlackIdentity => {
  const current = (): SlackIdentity => {
    const ws = currentWorkspace();
    if (ws) return ws;
    if (fallback) return fallback;
    throw new AppError('slack_api', 'no workspace entered: the bot identity is unknown');
  };
  return {
    get botUserId() {
      return current().botUserId;
    },
    get botId() {
      return current().botId;
    },
    get teamId() {
      return current().teamId;
    },
    get url() {
      return current().url;
    },
  };
};
