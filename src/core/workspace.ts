import { AsyncLocalStorage } from 'node:async_hooks';
import type { SlackIdentity } from './domain.js';

/**
 * The workspace a piece of work runs for: its team, and the bot's token and identity there. With
 * OAuth every workspace has its own bot; without it, the one from the settings.
 */
export interface Workspace extends SlackIdentity {
  enterpriseId?: string;
  botToken: string;
}

/**
 * The workspace of the work running now, carried through every await (an AsyncLocalStorage, like a
 * trace's context): Slack calls read their token from it (out/web-client.ts), and the bot's
 * identity in it (out/workspaces.ts). A job, a Slack request and a Home re-publish each enter it
 * once, at their start; nothing below passes it along by hand.
 */
const scope = new AsyncLocalStorage<Workspace>();

/** Runs `fn` as `workspace`: everything it starts, awaited or not, sees it. */
export const inWorkspace = <T>(workspace: Workspace, fn: () => T): T => scope.run(workspace, fn);

/** The workspace of the work running now, if any. */
export const currentWorkspace = (): Workspace | undefined => scope.getStore();
