import type { WebClient } from '@slack/web-api';
import { bestEffort } from '../core/best-effort.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { sleep } from '../core/time.js';
import type { SlackPoster } from '../out/poster.js';
import { decodeRequestRef, decodeVote, feedbackModal, thankYouMessage } from '../out/views/feedback.js';
import type { FeedbackJob } from '../queue/registry.js';
import { capComment, type FeedbackStore } from '../sessions/feedback.js';

export interface FeedbackActionsDeps {
  store: Pick<FeedbackStore, 'answerAt' | 'vote' | 'ratingOf' | 'comment'>;
  poster: Pick<SlackPoster, 'postEphemeral' | 'respond'>;
  client: Pick<WebClient, 'views'>;
  metrics: Pick<Metrics, 'feedback' | 'feedbackChanges'>;
  logger: Logger;
}

type Of<T extends FeedbackJob['type']> = Extract<FeedbackJob, { type: T }>;

/**
 * An answer's buttons show the moment its last message goes out, and the message is linked to its
 * request just after: a click in between is looked up again for this long (10 × 200 ms).
 */
const LINK_TRIES = 10;
const LINK_STEP_MS = 200;

/**
 * Feedback on answers, after the ack. A 👍/👎 counts for the request whose answer the clicked
 * message is (recorded when the answer was posted), whatever the button's value says beyond which
 * button it was; a click on any other message changes nothing. Each user has one rating per answer:
 * a second click replaces the first. The clicker is thanked privately in the thread and offered
 * "Tell us more", whose modal stores a comment with their rating, only ever their own.
 *
 * Slack calls: a click costs one `chat.postEphemeral` (and, when it changes the requester's counts,
 * a coalesced Home re-publish for a requester who uses the Home tab); "Tell us more" one
 * `views.open`; the comment none.
 */
export const createFeedbackActions = (deps: FeedbackActionsDeps) => {
  const log = deps.logger.child({ component: 'feedback' });

  const vote = async (job: Of<'vote'>) => {
    const flog = log.child({ userId: job.userId, channelId: job.channelId, messageTs: job.messageTs });
    const value = decodeVote(job.value);
    if (!value) {
      flog.warn('feedback click with a value we never sent ignored');
      return;
    }
    let requestId = await deps.store.answerAt(job.channelId, job.messageTs);
    for (let tries = 1; !requestId && tries < LINK_TRIES; tries++) {
      await sleep(LINK_STEP_MS);
      requestId = await deps.store.answerAt(job.channelId, job.messageTs);
    }
    if (!requestId) {
      flog.info('feedback click on a message that is not one of our answers ignored');
      return;
    }
    const outcome = await deps.store.vote(requestId, job.userId, value);
    if (!outcome.ok) {
      flog.info({ requestId }, 'feedback on a request that has expired ignored');
      return;
    }
    const { previous } = outcome;
    // Counters only go up: first ratings and changes are counted apart (see metrics.ts).
    if (previous === undefined) deps.metrics.feedback.inc({ value });
    else if (previous !== value) deps.metrics.feedbackChanges.inc({ value });
    flog.info({ requestId, vote: value, previous }, 'feedback stored');
    const thanks = thankYouMessage(value, requestId);
    await bestEffort(flog, 'feedback thank-you', () =>
      deps.poster.postEphemeral(job.channelId, job.userId, thanks.text, {
        threadTs: outcome.request.threadTs || job.messageTs,
        blocks: thanks.blocks,
      }),
    );
  };

  const more = async (job: Of<'more'>) => {
    const flog = log.child({ userId: job.userId });
    const requestId = decodeRequestRef(job.value);
    if (!requestId) {
      flog.warn('"Tell us more" with a value we never sent ignored');
      return;
    }
    // Only the user's own rating: the button's request id is data, the stored rating decides.
    const rating = await deps.store.ratingOf(requestId, job.userId);
    if (!rating) {
      flog.info({ requestId }, '"Tell us more" without a rating of that answer');
      if (job.responseUrl)
        await deps.poster.respond(job.responseUrl, {
          response_type: 'ephemeral',
          replace_original: false,
          text: 'I no longer have your rating of that answer. Rate it again with 👍 or 👎 first.',
        });
      return;
    }
    if (!job.triggerId) return;
    try {
      await deps.client.views.open({ trigger_id: job.triggerId, view: feedbackModal(requestId, rating) });
    } catch (err) {
      // A trigger is good for 3 s and once: a retry could not open the modal either, so the user is
      // asked to click again (which brings a fresh trigger).
      flog.warn({ requestId, err: errorFields(err) }, 'feedback modal could not be opened');
      const url = job.responseUrl;
      if (url)
        await bestEffort(flog, 'feedback modal refusal', () =>
          deps.poster.respond(url, {
            response_type: 'ephemeral',
            replace_original: false,
            text: 'Sorry, I could not open that just now. Click “Tell us more” again.',
          }),
        );
    }
  };

  const comment = async (job: Of<'comment'>) => {
    const flog = log.child({ userId: job.userId });
    const requestId = decodeRequestRef(job.requestRef);
    const text = capComment(job.comment);
    if (!requestId || text === '') {
      flog.warn({ empty: text === '' }, 'feedback comment that cannot be stored ignored');
      return;
    }
    // The modal's private_metadata is data too: the submitter must be someone who rated that answer.
    const stored = await deps.store.comment(requestId, job.userId, text);
    if (stored === 'stored') flog.info({ requestId, chars: text.length }, 'feedback comment stored');
    else flog.warn({ requestId, why: stored }, 'feedback comment refused');
  };

  return (job: FeedbackJob): Promise<void> =>
    job.type === 'vote' ? vote(job) : job.type === 'more' ? more(job) : comment(job);
};

export type FeedbackActions = ReturnType<typeof createFeedbackActions>;
