import type { App } from '@slack/bolt';
import { sessionStoppedSchema } from '../../payloads.js';
import { type EventDeps, readEvent, storeEvent } from './read-event.js';

/**
 * `agent_session_stopped` (Slack's native stop button): claimed and written as intake work before
 * the ack; who may stop what, and the stopping itself, happen after it (overview/session-stop.ts),
 * in whichever web process takes the job.
 */
export const registerAgentSessionStopped = (app: App, deps: EventDeps) => {
  app.event('agent_session_stopped', async ({ event, body }) => {
    const read = readEvent(deps, sessionStoppedSchema, event, body, 'agent_session_stopped');
    if (!read) return;
    const { e, teamId } = read;
    await storeEvent(deps, 'sessionStopped', 'stop', read, {
      teamId,
      channelId: e.channel,
      threadTs: e.thread_ts,
      userId: e.user,
      streamingTs: e.streaming_message_ts,
    });
  });
};
