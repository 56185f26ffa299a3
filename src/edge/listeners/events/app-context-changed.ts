import type { App } from '@slack/bolt';
import { contextChangedSchema, contextUser, viewingOf } from '../../payloads.js';
import { type EventDeps, readEvent, rejectEvent, storeEvent } from './read-event.js';

/**
 * `app_context_changed`: the channel a user views while the Messages tab is open. Written as intake
 * work before the ack like any event; after it, the context is only remembered for the Messages
 * tab's prompts. Nothing is ever posted because of it (the user is only looking around).
 */
export const registerAppContextChanged = (app: App, deps: EventDeps) => {
  app.event('app_context_changed', async ({ event, body }) => {
    const read = readEvent(deps, contextChangedSchema, event, body, 'app_context_changed');
    if (!read) return;
    const userId = contextUser(read.e, body);
    if (!userId) return rejectEvent(deps, 'app_context_changed', ['user']);
    const viewing = viewingOf(read.e.context);
    await storeEvent(deps, 'contextChanged', 'context', read, {
      teamId: read.teamId,
      userId,
      ...(viewing ? { viewing } : {}),
    });
  });
};
