import type { App } from '@slack/bolt';
import { POLICY_IDS } from '../../../out/views/policy-admin.js';
import { blockActionsSchema } from '../../payloads.js';
import { type ClickDeps, registerClick } from './store-click.js';

/** A channel id, as an Edit button's value carries it (anything else opens the channel picker). */
const CHANNEL = /^[CGD][A-Z0-9]{2,29}$/;

/**
 * The Admin section's buttons (action ids `bcp_edit_…`): written as intake work with the click's
 * trigger, which opens the edit modal after the ack if the clicker is an admin.
 */
export const registerPolicyActions = (app: App, deps: ClickDeps) => {
  registerClick(app, deps, {
    actionId: /^bcp_edit_/,
    schema: blockActionsSchema,
    what: 'policy button',
    kind: 'policy',
    tag: 'pol',
    work: (p, teamId, action) => {
      const channelId = action.value && CHANNEL.test(action.value) ? action.value : undefined;
      return {
        type: 'open',
        teamId,
        userId: p.user.id,
        ...(channelId ? { channelId } : {}),
        pickChannel: action.action_id.startsWith(POLICY_IDS.editChannel) && !channelId,
        ...(p.trigger_id ? { triggerId: p.trigger_id } : {}),
      };
    },
  });
};
