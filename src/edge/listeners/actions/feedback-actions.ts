import type { App } from '@slack/bolt';
import { FEEDBACK_IDS } from '../../../out/views/feedback.js';
import { blockActionsSchema, feedbackClickSchema } from '../../payloads.js';
import { type ClickDeps, registerClick, replyHandles } from './store-click.js';

/**
 * The 👍/👎 under an answer (a `feedback_buttons` action) and the "Tell us more" button of the
 * thank-you. Each click is written as intake work and acknowledged; the rating is stored after the
 * ack, for the request whose answer the clicked message is.
 */
export const registerFeedbackActions = (app: App, deps: ClickDeps) => {
  registerClick(app, deps, {
    actionId: FEEDBACK_IDS.vote,
    schema: feedbackClickSchema,
    what: 'feedback click',
    kind: 'feedback',
    tag: 'fb',
    work: (p, teamId, action) => ({
      type: 'vote',
      teamId,
      userId: p.user.id,
      // The schema makes sure there is one of the two.
      channelId: p.container.channel_id ?? p.channel?.id ?? '',
      messageTs: p.container.message_ts,
      value: action.value,
    }),
  });

  registerClick(app, deps, {
    actionId: FEEDBACK_IDS.more,
    schema: blockActionsSchema,
    what: '"Tell us more" click',
    kind: 'feedback',
    tag: 'fbm',
    work: (p, teamId, action) => ({
      type: 'more',
      teamId,
      userId: p.user.id,
      value: action.value ?? '',
      ...replyHandles(p),
    }),
  });
};
