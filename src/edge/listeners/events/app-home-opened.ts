import type { App } from '@slack/bolt';
import type { Logger } from '../../../core/logger.js';
import type { Metrics } from '../../../core/metrics.js';
import type { Intake } from '../../../intake/intake.js';
import { eventEnvelopeSchema, homeOpenedSchema, receivingTeam, viewingOf } from '../../payloads.js';

export interface AppHomeDeps {
  intake: Pick<Intake, 'acceptWork'>;
  logger: Logger;
  metrics: Pick<Metrics, 'requests'>;
}

/** An event the listener cannot act on: logged and counted, acknowledged all the same. */
export const rejectEvent = (deps: AppHomeDeps, type: string) => {
  deps.logger.warn({ type }, 'malformed event ignored');
  deps.metrics.requests.inc({ kind: 'event', outcome: 'rejected' });
};

/**
 * `app_home_opened`: the Home tab's publish, or the Messages tab's greeting and prompts (the Agent
 * messaging experience sends `tab: "messages"` where it used to send `assistant_thread_started`).
 * Either happens after the ack, as intake work, so Slack's 3-second window never waits on Slack.
 */
export const registerAppHomeOpened = (app: App, deps: AppHomeDeps) => {
  app.event('app_home_opened', async ({ event, body }) => {
    const env = eventEnvelopeSchema.safeParse(body);
    const parsed = homeOpenedSchema.safeParse(event);
    const teamId = env.success ? receivingTeam(env.data) : undefined;
    if (!env.success || !parsed.success || !teamId) return rejectEvent(deps, 'app_home_opened');
    const { user, tab, channel, context } = parsed.data;
    const dedupId = `evt:${env.data.event_id}` as const;
    let result: Awaited<ReturnType<Intake['acceptWork']>> | 'ignored' = 'ignored';
    if (tab === 'home')
      result = await deps.intake.acceptWork(
        'homeOpened',
        `${teamId}:home:${env.data.event_id}`,
        { teamId, userId: user },
        dedupId,
      );
    else if (tab === 'messages' && channel) {
      const viewing = viewingOf(context);
      result = await deps.intake.acceptWork(
        'messagesOpened',
        `${teamId}:messages:${env.data.event_id}`,
        { teamId, userId: user, channelId: channel, ...(viewing ? { viewing } : {}) },
        dedupId,
      );
    }
    deps.metrics.requests.inc({ kind: 'event', outcome: result });
  });
};
