import type { App } from '@slack/bolt';
import { blockActionsSchema } from '../../payloads.js';
import { type ClickDeps, registerClick, replyHandles } from './store-click.js';

/**
 * Buttons on the Home tab and in `/ask sessions` (action ids `bc_…`). The click is written as
 * intake work and acknowledged; the worker re-checks ownership before doing anything.
 */
export const registerOverviewActions = (app: App, deps: ClickDeps) => {
  registerClick(app, deps, {
    actionId: /^bc_/,
    schema: blockActionsSchema,
    what: 'block_actions',
    kind: 'action',
    tag: 'act',
    work: (p, teamId, action) => ({
      teamId,
      userId: p.user.id,
      actionId: action.action_id,
      value: action.value ?? '',
      ...replyHandles(p),
      container: p.container?.type === 'view' ? 'view' : 'message',
    }),
  });
};
