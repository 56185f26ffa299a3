import { randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import { BUDGET_IDS, MAX_BUDGET_TOKENS } from '../../../out/views/usage-view.js';
import { blockActionsSchema, viewSubmissionSchema } from '../../payloads.js';
import { type ClickDeps, readClick, registerClick, replyHandles, storeClick } from './store-click.js';

/**
 * An admin's "Set a user's budget" (Home tab) and its modal. The click and the submission are
 * written as intake work and acknowledged; whether the user is an admin is checked after the ack,
 * with users.info, never from the payload. The modal's inputs are validated here, so a bad number
 * is shown in the modal rather than dropped.
 */
export const registerBudgetActions = (app: App, deps: ClickDeps) => {
  registerClick(app, deps, {
    actionId: BUDGET_IDS.open,
    schema: blockActionsSchema,
    what: 'budget click',
    kind: 'budget',
    tag: 'bud',
    work: (p, teamId) => {
      const { triggerId } = replyHandles(p);
      return { type: 'open', teamId, userId: p.user.id, ...(triggerId ? { triggerId } : {}) };
    },
  });

  app.view(BUDGET_IDS.modal, async ({ ack, body }) => {
    const read = readClick(deps, viewSubmissionSchema, body, 'budget modal');
    if (!read) return ack();
    const values = read.p.view.state.values;
    const target = values[BUDGET_IDS.userBlock]?.[BUDGET_IDS.userInput]?.selected_user;
    const raw = values[BUDGET_IDS.tokensBlock]?.[BUDGET_IDS.tokensInput]?.value ?? '';
    const tokens = /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    if (!target)
      return ack({ response_action: 'errors', errors: { [BUDGET_IDS.userBlock]: 'Pick a user.' } });
    if (!Number.isInteger(tokens) || tokens > MAX_BUDGET_TOKENS)
      return ack({
        response_action: 'errors',
        errors: {
          [BUDGET_IDS.tokensBlock]: `A whole number from 0 to ${MAX_BUDGET_TOKENS.toLocaleString('en-US')}.`,
        },
      });
    const { teamId } = read;
    const stored = await storeClick(deps, 'budget', `${teamId}:budset:${read.p.user.id}:${randomUUID()}`, {
      type: 'set',
      teamId,
      userId: read.p.user.id,
      targetUserId: target,
      tokens,
    });
    if (stored) await ack();
    else
      await ack({
        response_action: 'errors',
        errors: { [BUDGET_IDS.tokensBlock]: 'Sorry, that could not be saved just now. Please try again.' },
      });
  });
};
