import { randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import { FEEDBACK_IDS } from '../../../out/views/feedback.js';
import { viewSubmissionSchema } from '../../payloads.js';
import { type ClickDeps, readClick, storeClick } from '../actions/store-click.js';

/**
 * The "Tell us more" modal, submitted: the comment is written as intake work and the modal closes.
 * Who may comment on which answer is checked after the ack (the submitter must have rated it). When
 * the write fails the modal stays open and says so, so the comment is not lost.
 */
export const registerFeedbackComment = (app: App, deps: ClickDeps) => {
  app.view(FEEDBACK_IDS.modal, async ({ ack, body }) => {
    const read = readClick(deps, viewSubmissionSchema, body, 'feedback comment');
    if (!read) return ack();
    const { teamId } = read;
    const { user, view } = read.p;
    const comment = view.state.values[FEEDBACK_IDS.commentBlock]?.[FEEDBACK_IDS.commentInput]?.value ?? '';
    const stored = await storeClick(deps, 'feedback', `${teamId}:fbc:${user.id}:${randomUUID()}`, {
      type: 'comment',
      teamId,
      userId: user.id,
      requestRef: view.private_metadata,
      comment,
    });
    if (stored) await ack();
    else
      await ack({
        response_action: 'errors',
        errors: { [FEEDBACK_IDS.commentBlock]: 'Sorry, that could not be saved just now. Please try again.' },
      });
  });
};
