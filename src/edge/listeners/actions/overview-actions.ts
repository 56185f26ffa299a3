import type { App } from '@slack/bolt';
import { errorFields } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { Metrics } from '../../../core/metrics.js';
import type { Intake } from '../../../intake/intake.js';
import { blockActionsSchema } from '../../payloads.js';

/**
 * Buttons on the Home tab and in `/ask sessions` (action ids `bc_…`). The click is written as
 * intake work and acknowledged; the worker re-checks ownership before doing anything.
 */
export const registerOverviewActions = (
  app: App,
  deps: { intake: Pick<Intake, 'acceptWork'>; logger: Logger; metrics: Pick<Metrics, 'requests'> },
) => {
  app.action(/^bc_/, async ({ ack, body }) => {
    const parsed = blockActionsSchema.safeParse(body);
    const teamId = parsed.success ? (parsed.data.team?.id ?? parsed.data.user.team_id) : undefined;
    if (!parsed.success || !teamId) {
      deps.logger.warn({ issues: parsed.error?.issues.length }, 'malformed block_actions ignored');
      deps.metrics.requests.inc({ kind: 'action', outcome: 'rejected' });
      await ack();
      return;
    }
    const p = parsed.data;
    const action = p.actions[0]!;
    const id = `${teamId}:act:${p.trigger_id ?? `${p.user.id}:${action.action_ts ?? Date.now()}`}`;
    try {
      const result = await deps.intake.acceptWork(
        'action',
        id,
        {
          teamId,
          userId: p.user.id,
          actionId: action.action_id,
          value: action.value ?? '',
          ...(p.trigger_id ? { triggerId: p.trigger_id } : {}),
          ...(p.response_url ? { responseUrl: p.response_url } : {}),
          container: p.container?.type === 'view' ? 'view' : 'message',
        },
        [`act:${id}`],
      );
      deps.metrics.requests.inc({ kind: 'action', outcome: result });
    } catch (err) {
      // Clicks are not redelivered: the ack goes out anyway; the user can click again.
      deps.logger.error({ err: errorFields(err) }, 'could not store a button click');
      deps.metrics.requests.inc({ kind: 'action', outcome: 'error' });
    }
    await ack();
  });
};
