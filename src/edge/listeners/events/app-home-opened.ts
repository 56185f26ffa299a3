import type { App } from '@slack/bolt';
import { homeOpenedSchema, viewingOf } from '../../payloads.js';
import { type EventDeps, readEvent, storeEvent } from './read-event.js';

/**
 * `app_home_opened`: the Home tab's publish, or the Messages tab's greeting and prompts (the Agent
 * messaging experience sends `tab: "messages"` where it used to send `assistant_thread_started`).
 * Either happens after the ack, as intake work, so Slack's 3-second window never waits on Slack.
 */
export const registerAppHomeOpened = (app: App, deps: EventDeps) => {
  app.event('app_home_opened', async ({ event, body }) => {
    const read = readEvent(deps, homeOpenedSchema, event, body, 'app_home_opened');
    if (!read) return;
    const { teamId } = read;
    const { user, tab, channel, context } = read.e;
    if (tab === 'home') return storeEvent(deps, 'homeOpened', 'home', read, { teamId, userId: user });
    if (tab === 'messages' && channel) {
      const viewing = viewingOf(context);
      return storeEvent(deps, 'messagesOpened', 'messages', read, {
        teamId,
        userId: user,
        channelId: channel,
        ...(viewing ? { viewing } : {}),
      });
    }
    deps.metrics.requests.inc({ kind: 'event', outcome: 'ignored' });
  });
};
