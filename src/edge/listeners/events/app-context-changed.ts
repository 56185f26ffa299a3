import type { App } from '@slack/bolt';
import {
  contextChangedSchema,
  contextUser,
  eventEnvelopeSchema,
  receivingTeam,
  viewingOf,
} from '../../payloads.js';
import { type AppHomeDeps, rejectEvent } from './app-home-opened.js';

/**
 * `app_context_changed`: the channel a user views while the Messages tab is open. Written as intake
 * work before the ack like any event; after it, the context is only remembered for the Messages
 * tab's prompts. Nothing is ever posted because of it (the user is only looking around).
 */
export const registerAppContextChanged = (app: App, deps: AppHomeDeps) => {
  app.event('app_context_changed', async ({ event, body }) => {
    const env = eventEnvelopeSchema.safeParse(body);
    const parsed = contextChangedSchema.safeParse(event);
    const teamId = env.success ? receivingTeam(env.data) : undefined;
    const userId = parsed.success ? contextUser(parsed.data, body) : undefined;
    if (!env.success || !parsed.success || !teamId || !userId)
      return rejectEvent(deps, 'app_context_changed');
    const viewing = viewingOf(parsed.data.context);
    const result = await deps.intake.acceptWork(
      'contextChanged',
      `${teamId}:context:${env.data.event_id}`,
      { teamId, userId, ...(viewing ? { viewing } : {}) },
      `evt:${env.data.event_id}`,
    );
    deps.metrics.requests.inc({ kind: 'event', outcome: result });
  });
};
