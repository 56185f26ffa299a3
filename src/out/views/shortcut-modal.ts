import type { types } from '@slack/bolt';
import { inlineMrkdwn, mrkdwn, ownPlainText, SLACK_LIMITS, truncate } from './escape.js';

/** The message shortcuts' callback ids (manifest `features.shortcuts`), and the *Ask about this* modal's ids. */
export const SHORTCUT_IDS = {
  ask: 'bc_ask_message',
  summarize: 'bc_summarize',
  later: 'bc_later',
  /** The *Ask Backchannel about this* modal; its `private_metadata` says which message (edge/shortcut-payloads.ts). */
  modal: 'bc_ask_message_modal',
  questionBlock: 'question',
  questionInput: 'question_input',
} as const;

/** What the modal quotes of the message at most (a section's text holds 3,000 characters). */
export const QUOTE_MAX_CHARS = 1_500;
/** Slack caps a plain_text_input at 3,000 characters. */
export const QUESTION_MAX_CHARS = 3_000;

/**
 * The *Ask Backchannel about this* modal: the message quoted (escaped: it can neither mention nor
 * link), and a question box. `privateMetadata` is built by the edge and comes back on submission.
 */
export const askAboutModal = (o: {
  authorId?: string | undefined;
  text: string;
  privateMetadata: string;
}): types.ModalView => {
  const quoted = o.text.trim()
    ? o.text
        .trim()
        .split('\n')
        .map((line) => `>${inlineMrkdwn(line, QUOTE_MAX_CHARS)}`)
        .join('\n')
    : '_(a message without text)_';
  const author = o.authorId ? `<@${o.authorId}> wrote:` : 'The message:';
  return {
    type: 'modal',
    callback_id: SHORTCUT_IDS.modal,
    private_metadata: o.privateMetadata.slice(0, SLACK_LIMITS.privateMetadataChars),
    title: ownPlainText('Ask Backchannel', SLACK_LIMITS.modalTitleChars),
    submit: ownPlainText('Ask', SLACK_LIMITS.modalTitleChars),
    close: ownPlainText('Cancel', SLACK_LIMITS.modalTitleChars),
    blocks: [
      { type: 'context', elements: [mrkdwn(author)] },
      { type: 'section', text: mrkdwn(truncate(quoted, QUOTE_MAX_CHARS)) },
      {
        type: 'input',
        block_id: SHORTCUT_IDS.questionBlock,
        label: ownPlainText('Your question'),
        hint: ownPlainText('I answer in the message’s thread, where everyone in the channel can read it.'),
        element: {
          type: 'plain_text_input',
          action_id: SHORTCUT_IDS.questionInput,
          multiline: true,
          max_length: QUESTION_MAX_CHARS,
          placeholder: ownPlainText('What would you like to know about this message?', 150),
        },
      },
    ],
  };
};
