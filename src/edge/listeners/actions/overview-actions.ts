import type { App } from '@slack/bolt';
import { blockActionsSchema } from '../../payloads.js';
import { type ClickDeps, clickId, readClick, storeClick } from './store-click.js';

/**
 * Buttons on the Home tab and in `/ask sessions` (action ids `bc_…`). The click is written as
 * intake work and acknowledged; the worker re-checks ownership before doing anything.
 */
export const registerOverviewActions = (app: App, deps: ClickDeps) => {
  app.action(/^bc_/, async ({ ack, body }) => {
    const read = readClick(deps, blockActionsSchema, body, 'block_actions');
    if (!read) return ack();
    const { p, teamId } = read;
    const action = p.actions[0]!;
    await storeClick(deps, 'action', clickId(teamId, 'act', p, action.action_ts), {
      teamId,
      userId: p.user.id,
      actionId: action.action_id,
      value: action.value ?? '',
      ...(p.trigger_id ? { triggerId: p.trigger_id } : {}),
      ...(p.response_url ? { responseUrl: p.response_url } : {}),
      container: p.container?.type === 'view' ? 'view' : 'message',
    });
    await ack();
  });
};
