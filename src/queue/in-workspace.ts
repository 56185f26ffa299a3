import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { inWorkspace } from '../core/workspace.js';
import type { Workspaces } from '../out/workspaces.js';

/**
 * Every job payload names its workspace (registry.ts): at its top, or in its request (an answer
 * job); an org-wide install also its enterprise.
 */
const team = z.object({ teamId: z.string().min(1), enterpriseId: z.string().min(1).optional() });
const teamOf = z.union([team, z.object({ request: team }).transform((d) => d.request)]);

export interface InWorkspaceDeps {
  workspaces: Pick<Workspaces, 'lookup'>;
  logger: Logger;
}

/**
 * Runs `fn` in the workspace of `data.teamId`, looked up now: every Slack call inside uses that
 * workspace's token (out/web-client.ts). A workspace that uninstalled the app has none: `fn` does
 * not run, and the work ends quietly (its data is purged). A payload with no team runs as it is
 * (its processor's own schema refuses it).
 */
export const inWorkspaceOf = async <T>(
  deps: InWorkspaceDeps,
  data: unknown,
  fn: () => Promise<T>,
): Promise<T | undefined> => {
  const parsed = teamOf.safeParse(data);
  if (!parsed.success) return fn();
  const { teamId, enterpriseId } = parsed.data;
  const workspace = await deps.workspaces.lookup(teamId, enterpriseId);
  if (!workspace) {
    deps.logger.info({ teamId }, 'the app is not installed in this workspace (any more): work dropped');
    return undefined;
  }
  return inWorkspace(workspace, fn);
};

/** A BullMQ processor (or `failed` listener) whose every run enters its job's workspace first. */
export const inJobWorkspace =
  <J extends { data: unknown }, A extends unknown[], R>(
    deps: InWorkspaceDeps,
    run: (job: J, ...rest: A) => Promise<R>,
  ) =>
  (job: J, ...rest: A): Promise<R | undefined> =>
    inWorkspaceOf(deps, job.data, () => run(job, ...rest));
