import type { App } from '@slack/bolt';
import { FEEDBACK_IDS } from '../../../out/views/feedback.js';
import { blockActionsSchema, feedbackClickSchema } from '../../payloads.js';
import { type ClickDeps, clickId, readClick, storeClick } from './store-click.js';

/**
 * The 👍/👎 under an answer (a `feedback_buttons` action) and the "Tell us more" button of the
 * thank-you. Each click is written as intake work and acknowledged; the rating is stored after the
 * ack, for the request whose answer the clicked message is.
 */
export const registerFeedbackActions = (app: App, deps: ClickDeps) => {
  app.action(FEEDBACK_IDS.vote, async ({ ack, body }) => {
    const read = readClick(deps, feedbackClickSchema, body, 'feedback click');
    if (!read) return ack();
    const { p, teamId } = read;
    const action = p.actions[0]!;
    await storeClick(deps, 'feedback', clickId(teamId, 'fb', p, action.action_ts), {
      type: 'vote',
      teamId,
      userId: p.user.id,
      // The schema makes sure there is one of the two.
      channelId: p.container.channel_id ?? p.channel?.id ?? '',
      messageTs: p.container.message_ts,
      value: action.value,
    });
    await ack();
  });

  app.action(FEEDBACK_IDS.more, async ({ ack, body }) => {
    const read = readClick(deps, blockActionsSchema, body, '"Tell us more" click');
    if (!read) return ack();
    const { p, teamId } = read;
    const action = p.actions[0]!;
    await storeClick(deps, 'feedback', clickId(teamId, 'fbm', p, action.action_ts), {
      type: 'more',
      teamId,
      userId: p.user.id,
      value: action.value ?? '',
      ...(p.trigger_id ? { triggerId: p.trigger_id } : {}),
      ...(p.response_url ? { responseUrl: p.response_url } : {}),
    });
    await ack();
  });
};
