import type { App } from '@slack/bolt';
import type { Logger } from '../../../core/logger.js';
import type { Metrics } from '../../../core/metrics.js';
import type { Intake } from '../../../intake/intake.js';
import { eventEnvelopeSchema, homeOpenedSchema, receivingTeam } from '../../payloads.js';

/**
 * `app_home_opened` (tab `home`): the publish happens after the ack, as intake work, so Slack's
 * 3-second window never waits on `views.publish`. The agent Messages tab is ignored.
 */
export const registerAppHomeOpened = (
  app: App,
  deps: { intake: Pick<Intake, 'acceptWork'>; logger: Logger; metrics: Pick<Metrics, 'requests'> },
) => {
  app.event('app_home_opened', async ({ event, body }) => {
    const env = eventEnvelopeSchema.safeParse(body);
    const parsed = homeOpenedSchema.safeParse(event);
    const teamId = env.success ? receivingTeam(env.data) : undefined;
    if (!env.success || !parsed.success || !teamId) {
      deps.logger.warn('malformed app_home_opened ignored');
      deps.metrics.requests.inc({ kind: 'event', outcome: 'rejected' });
      return;
    }
    if (parsed.data.tab !== 'home') {
      deps.metrics.requests.inc({ kind: 'event', outcome: 'ignored' });
      return;
    }
    const result = await deps.intake.acceptWork(
      'homeOpened',
      `${teamId}:home:${env.data.event_id}`,
      { teamId, userId: parsed.data.user },
      [`evt:${env.data.event_id}`],
    );
    deps.metrics.requests.inc({ kind: 'event', outcome: result });
  });
};
