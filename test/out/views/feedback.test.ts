import { describe, expect, it } from 'vitest';
import { COMMENT_MAX_CHARS, type FeedbackSummary } from '../../../src/core/request-types.js';
import {
  decodeRequestRef,
  decodeVote,
  FEEDBACK_IDS,
  feedbackBlock,
  feedbackModal,
  feedbackSummaryBlocks,
  MODAL_COMMENTS_MAX,
  thankYouMessage,
} from '../../../src/out/views/feedback.js';
import { buildHomeView } from '../../../src/out/views/home-view.js';
import { buildResultModal } from '../../../src/out/views/result-modal.js';
import { blockKitErrors } from '../../../standins/slack/block-kit.js';
import { HOSTILE, NOW, record, result } from './fixtures.js';
import { dangerousStrings } from './view-text.js';

const REQUEST = 'T0001:C0123ABC:1714564801.000100';

describe('the feedback buttons under an answer', () => {
  it('are one context_actions block holding Slack’s feedback_buttons, 👍 positive and 👎 negative', () => {
    const block = feedbackBlock();
    expect(block).toEqual({
      type: 'context_actions',
      elements: [
        {
          type: 'feedback_buttons',
          action_id: FEEDBACK_IDS.vote,
          positive_button: {
            text: { type: 'plain_text', text: '👍' },
            accessibility_label: 'This answer was helpful',
            value: 'positive',
          },
          negative_button: {
            text: { type: 'plain_text', text: '👎' },
            accessibility_label: 'This answer was not helpful',
            value: 'negative',
          },
        },
      ],
    });
    expect(blockKitErrors({ blocks: [{ type: 'markdown', text: 'An answer.' }, block] })).toEqual([]);
  });

  it('carry no authority: only the two values we send decode, nothing else', () => {
    expect(decodeVote('positive')).toBe('positive');
    expect(decodeVote('negative')).toBe('negative');
    for (const forged of ['Positive', `positive:${REQUEST}`, REQUEST, '', undefined, 1])
      expect(decodeVote(forged)).toBeUndefined();
  });
});

describe('the thank-you and its modal', () => {
  it('thanks privately and offers Tell us more, carrying the request id only as data', () => {
    const { text, blocks } = thankYouMessage('negative', REQUEST);
    expect(text).toContain('👎');
    expect(blockKitErrors({ blocks })).toEqual([]);
    expect(JSON.stringify(blocks)).toContain(FEEDBACK_IDS.more);
    expect(decodeRequestRef(REQUEST)).toBe(REQUEST);
    expect(decodeRequestRef('<!channel> x')).toBeUndefined();
    expect(decodeRequestRef('x'.repeat(300))).toBeUndefined();
  });

  it('is a modal within Slack’s limits whose input takes at most 1,000 characters', () => {
    const view = feedbackModal(REQUEST, { vote: 'positive', comment: 'c'.repeat(2000) });
    expect(blockKitErrors(view as never)).toEqual([]);
    expect(view.private_metadata).toBe(REQUEST);
    expect(view.callback_id).toBe(FEEDBACK_IDS.modal);
    const input = view.blocks.find((b) => b.type === 'input');
    expect(input).toMatchObject({
      block_id: FEEDBACK_IDS.commentBlock,
      element: { type: 'plain_text_input', action_id: FEEDBACK_IDS.commentInput, max_length: 1000 },
    });
    expect(JSON.stringify(input)).toContain(`"initial_value":"${'c'.repeat(COMMENT_MAX_CHARS)}"`);
  });
});

describe('the ratings where results show', () => {
  const summary = (n: number): FeedbackSummary => ({
    positive: n,
    negative: 1,
    comments: Array.from({ length: n }, (_, i) => ({
      userId: `U0RATER${i}`,
      vote: 'positive' as const,
      comment: `${HOSTILE} comment ${i} ${'z'.repeat(990)}`,
    })),
  });

  it('shows counts and comments in the result modal, hostile text kept plain, within the modal’s limits', () => {
    const view = buildResultModal(record(), result(), { now: NOW, feedback: summary(3) });
    const text = JSON.stringify(view);
    expect(text).toContain('*Feedback:* 👍 3 · 👎 1');
    expect(text).toContain('comment 2');
    expect(blockKitErrors(view)).toEqual([]);
    expect(dangerousStrings(view, ['<@U0RATER0>', '<@U0RATER1>', '<@U0RATER2>'])).toEqual([]);
  });

  it('caps the comments shown and says how many more there are; nothing when nobody rated', () => {
    const blocks = feedbackSummaryBlocks(summary(MODAL_COMMENTS_MAX + 4));
    expect(JSON.stringify(blocks)).toContain('and 4 more comments');
    expect(blocks.filter((b) => b.type === 'context')).toHaveLength(MODAL_COMMENTS_MAX + 1);
    expect(feedbackSummaryBlocks({ positive: 0, negative: 0, comments: [] })).toEqual([]);
    const huge = 'long answer paragraph. '.repeat(20_000);
    const view = buildResultModal(record(), result({ text: huge }), { now: NOW, feedback: summary(40) });
    expect(blockKitErrors(view)).toEqual([]);
    expect(JSON.stringify(view)).toContain('and 30 more comments');
  });

  it('adds up each session’s ratings on Home', () => {
    const thread = '1714564900.000100';
    const a = record({ threadTs: thread, feedback: { positive: 2, negative: 0 } });
    const b = record({ threadTs: thread, feedback: { positive: 1, negative: 3 } });
    const unrated = record({ title: 'Nobody rated this' });
    const text = JSON.stringify(buildHomeView([a, b, unrated], { now: NOW, dmOnResult: false }));
    expect(text).toContain('👍 3 · 👎 3');
    expect(text.match(/👍/g)).toHaveLength(1);
  });
});
