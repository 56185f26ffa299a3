import type { App } from '@slack/bolt';
import type { Logger } from '../../../core/logger.js';
import type { Metrics } from '../../../core/metrics.js';
import type { Intake } from '../../../intake/intake.js';
import { eventEnvelopeSchema, receivingTeam, sessionStoppedSchema } from '../../payloads.js';

/**
 * `agent_session_stopped` (Slack's native stop button): claimed and written as intake work before
 * the ack; who may stop what, and the stopping itself, happen after it (overview/session-stop.ts),
 * in whichever web process takes the job.
 */
export const registerAgentSessionStopped = (
  app: App,
  deps: { intake: Pick<Intake, 'acceptWork'>; logger: Logger; metrics: Pick<Metrics, 'requests'> },
) => {
  app.event('agent_session_stopped', async ({ event, body }) => {
    const env = eventEnvelopeSchema.safeParse(body);
    const parsed = sessionStoppedSchema.safeParse(event);
    const teamId = env.success ? receivingTeam(env.data) : undefined;
    if (!env.success || !parsed.success || !teamId) {
      deps.logger.warn(
        { fields: (parsed.error ?? env.error)?.issues.map((i) => i.path.join('.')).slice(0, 5) },
        'malformed agent_session_stopped ignored',
      );
      deps.metrics.requests.inc({ kind: 'event', outcome: 'rejected' });
      return;
    }
    const e = parsed.data;
    const result = await deps.intake.acceptWork(
      'sessionStopped',
      `${teamId}:stop:${env.data.event_id}`,
      {
        teamId,
        channelId: e.channel,
        threadTs: e.thread_ts,
        userId: e.user,
        streamingTs: e.streaming_message_ts,
      },
      `evt:${env.data.event_id}`,
    );
    deps.metrics.requests.inc({ kind: 'event', outcome: result });
  });
};
