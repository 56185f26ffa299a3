import type { types } from '@slack/bolt';
import {
  COMMENT_MAX_CHARS,
  type FeedbackCounts,
  type FeedbackSummary,
  type Vote,
} from '../../core/request-types.js';
import { requestIdSchema } from './actions.js';
import { mrkdwn, ownPlainText, plainText, SLACK_LIMITS } from './escape.js';

/**
 * Feedback on answers, as Slack shows it: the 👍/👎 `feedback_buttons` (in a `context_actions`
 * block, Slack's place for them under an AI app's answer), the private thank-you with its "Tell us
 * more" button, the modal that takes a comment, and the ratings in the result modal and on Home.
 * Pure builders. Button values are only data: a click counts for the message it is attached to.
 */

export const FEEDBACK_IDS = Object.freeze({
  /** The 👍/👎 under an answer. Values: `positive` / `negative`, nothing else. */
  vote: 'feedback_vote',
  /** "Tell us more" in the thank-you. Value: the request id (the handler re-checks the rating). */
  more: 'feedback_more',
  /** The comment modal; `private_metadata` is the request id. */
  modal: 'feedback_comment',
  /** The modal's input block and its text input. */
  commentBlock: 'feedback_comment',
  commentInput: 'comment',
} as const);

/** Comments the result modal shows at most (each up to COMMENT_MAX_CHARS); the count says the rest. */
export const MODAL_COMMENTS_MAX = 10;

const EMOJI: Readonly<Record<Vote, string>> = { positive: '👍', negative: '👎' };
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * The block every answer ends with (on its last message): Slack's feedback buttons. Slack's limits:
 * 5 elements per block, button text plain_text ≤ 75, value ≤ 2,000.
 */
export const feedbackBlock = (): types.ContextActionsBlock => ({
  type: 'context_actions',
  elements: [
    {
      type: 'feedback_buttons',
      action_id: FEEDBACK_IDS.vote,
      positive_button: {
        text: { type: 'plain_text', text: EMOJI.positive },
        accessibility_label: 'This answer was helpful',
        value: 'positive',
      },
      negative_button: {
        text: { type: 'plain_text', text: EMOJI.negative },
        accessibility_label: 'This answer was not helpful',
        value: 'negative',
      },
    },
  ],
});

/** The rating a clicked feedback button carries, or undefined for any value we never sent. */
export const decodeVote = (value: unknown): Vote | undefined =>
  value === 'positive' || value === 'negative' ? value : undefined;

/** The request id a "Tell us more" button carries, or undefined for anything we could not have sent. */
export const decodeRequestRef = (value: unknown): string | undefined => {
  const parsed = requestIdSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};

/** The private thank-you for a rating, with "Tell us more" (it opens the comment modal). */
export const thankYouMessage = (
  vote: Vote,
  requestId: string,
): { text: string; blocks: types.KnownBlock[] } => {
  const text =
    vote === 'positive'
      ? 'Thanks for the 👍! Glad it helped.'
      : 'Thanks for the 👎. Sorry it missed; tell us what was wrong and we will learn from it.';
  return {
    text,
    blocks: [
      { type: 'section', text: mrkdwn(text) },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: FEEDBACK_IDS.more,
            text: ownPlainText('Tell us more', SLACK_LIMITS.buttonTextChars),
            value: requestIdSchema.parse(requestId),
          },
        ],
      },
    ],
  };
};

/** The "Tell us more" modal: the user's rating, and a comment of at most COMMENT_MAX_CHARS. */
export const feedbackModal = (
  requestId: string,
  rating: { vote: Vote; comment?: string },
): types.ModalView => ({
  type: 'modal',
  callback_id: FEEDBACK_IDS.modal,
  private_metadata: requestId.slice(0, SLACK_LIMITS.privateMetadataChars),
  title: ownPlainText('Tell us more', SLACK_LIMITS.modalTitleChars),
  submit: ownPlainText('Send', SLACK_LIMITS.modalTitleChars),
  close: ownPlainText('Cancel', SLACK_LIMITS.modalTitleChars),
  blocks: [
    {
      type: 'section',
      text: mrkdwn(
        rating.vote === 'positive'
          ? 'You rated this answer 👍. What made it useful?'
          : 'You rated this answer 👎. What was wrong or missing?',
      ),
    },
    {
      type: 'input',
      block_id: FEEDBACK_IDS.commentBlock,
      label: ownPlainText('Your comment', 2000),
      element: {
        type: 'plain_text_input',
        action_id: FEEDBACK_IDS.commentInput,
        multiline: true,
        max_length: COMMENT_MAX_CHARS,
        ...(rating.comment ? { initial_value: rating.comment.slice(0, COMMENT_MAX_CHARS) } : {}),
      },
    },
  ],
});

/** "👍 2 · 👎 1", or '' when nobody rated. */
export const feedbackCountsText = (counts: FeedbackCounts | undefined): string =>
  counts && (counts.positive > 0 || counts.negative > 0)
    ? `${EMOJI.positive} ${counts.positive} · ${EMOJI.negative} ${counts.negative}`
    : '';

/**
 * The ratings in the result modal: the counts, then the comments (who wrote them, their rating, the
 * text as plain_text so nobody's comment can format or mention), at most MODAL_COMMENTS_MAX.
 * Nothing when nobody rated.
 */
export const feedbackSummaryBlocks = (summary: FeedbackSummary | undefined): types.KnownBlock[] => {
  const counts = feedbackCountsText(summary);
  if (!summary || !counts) return [];
  const shown = summary.comments.slice(0, MODAL_COMMENTS_MAX);
  const more = summary.comments.length - shown.length;
  return [
    { type: 'divider' },
    { type: 'section', text: mrkdwn(`*Feedback:* ${counts}`) },
    ...shown.map(
      (c): types.KnownBlock => ({
        type: 'context',
        elements: [
          mrkdwn(`${EMOJI[c.vote]} ${USER_ID.test(c.userId) ? `<@${c.userId}>` : 'someone'}`),
          plainText(c.comment, COMMENT_MAX_CHARS + 1),
        ],
      }),
    ),
    ...(more > 0 ? [{ type: 'context' as const, elements: [mrkdwn(`_… and ${more} more comments._`)] }] : []),
  ];
};
