import type { types } from '@slack/bolt';
import type { FeedbackSummary, RequestRecord, RequestResult } from '../../core/request-types.js';
import {
  answerToMrkdwnChunks,
  inlineMrkdwn,
  mrkdwn,
  ownPlainText,
  plainText,
  SLACK_LIMITS,
} from './escape.js';
import { feedbackSummaryBlocks } from './feedback.js';
import { channelLabel, formatAge, formatDuration } from './labels.js';
import { type Block, openThreadButton } from './session-row.js';

/**
 * The "View result" modal: the question, the answer, meta (model, tokens, time), the answer's
 * ratings (👍/👎 and comments, when anyone rated it) and Open thread.
 *
 * The answer goes in `section` blocks as mrkdwn, not in a `markdown` block: Slack documents the
 * `markdown` block for messages of AI apps, with 12,000 characters per payload, which is less than a
 * modal can hold, and standard Markdown there would let the model's `[text](url)` become a masked
 * link. So the model's Markdown is converted to mrkdwn (escape.ts: `answerToMrkdwnChunks`), escaped,
 * and split into ≤ 3,000-character sections; an answer longer than the modal's 100 blocks or
 * 250 kB ends with "… the rest is in the thread" and the link.
 */

/** A modal whose blocks are known block types (what we build). */
export type ResultModalView = types.ModalView & { blocks: Block[] };

export const RESULT_MODAL_CALLBACK_ID = 'bc_result_modal';

/** More than a modal can show (95 sections × 3,000); the rest is not even converted. */
const SOURCE_MAX_CHARS = 300_000;

/** Room kept under the 250 kB view limit for JSON framing we do not measure block by block. */
const BYTES_MARGIN = 2_000;

export interface ResultModalOptions {
  /** Link to the session thread; without a valid https link, Open thread is an action button. */
  permalink?: string;
  now: number;
  /** The answer's ratings; shown under the answer, inside the modal's budget, when there are any. */
  feedback?: FeedbackSummary;
}

const utf8 = new TextEncoder();
const jsonBytes = (value: unknown): number => utf8.encode(JSON.stringify(value)).length;

const formatCount = (n: number): string => Math.max(0, Math.round(n)).toLocaleString('en-US');

/** "gpt-4o · 1,204 in / 388 out tokens · answered in 9.4 s · 2 min 10 s in all", from what is known. */
export const resultMeta = (result: RequestResult): string => {
  const parts: string[] = [];
  if (result.model && result.model.trim() !== '') parts.push(inlineMrkdwn(result.model, 100));
  const { promptTokens: prompt, completionTokens: completion } = result;
  if (prompt !== undefined && completion !== undefined) {
    parts.push(`${formatCount(prompt)} in / ${formatCount(completion)} out tokens`);
  } else if (prompt !== undefined || completion !== undefined) {
    parts.push(
      `${formatCount(prompt ?? completion ?? 0)} ${prompt !== undefined ? 'prompt' : 'completion'} tokens`,
    );
  }
  if (result.ms !== undefined) parts.push(`answered in ${formatDuration(result.ms)}`);
  if (result.totalMs !== undefined) parts.push(`${formatDuration(result.totalMs)} in all`);
  return parts.join(' · ');
};

/** Files shown by name in the modal; more are counted. */
const MAX_FILES_SHOWN = 10;

/** "📎 Files read: report.pdf, data.csv", names escaped (they are the users' own). */
export const filesLine = (files: readonly string[]): string => {
  const shown = files.slice(0, MAX_FILES_SHOWN).map((f) => inlineMrkdwn(f, 80));
  const more = files.length - shown.length;
  return `📎 Files read: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
};

export const buildResultModal = (
  record: RequestRecord,
  result: RequestResult,
  opts: ResultModalOptions,
): ResultModalView => {
  const question = record.title.trim() === '' ? '(no question text)' : record.title;
  const meta = resultMeta(result);
  const head: Block[] = [
    { type: 'section', text: plainText(`❓ ${question}`, SLACK_LIMITS.textChars) },
    {
      type: 'context',
      elements: [
        mrkdwn(`${channelLabel(record.channelId)} · answered ${formatAge(opts.now - result.finishedAt)}`),
        ...(meta ? [mrkdwn(meta)] : []),
        ...(result.files?.length ? [mrkdwn(filesLine(result.files))] : []),
      ],
    },
    { type: 'divider' },
  ];
  const tail: Block[] = [
    ...feedbackSummaryBlocks(opts.feedback),
    { type: 'actions', elements: [openThreadButton(record.id, opts.permalink)] },
  ];
  const restNote: Block = {
    type: 'section',
    text: mrkdwn('_… the rest is in the thread._'),
  };

  const source = result.text.length > SOURCE_MAX_CHARS ? result.text.slice(0, SOURCE_MAX_CHARS) : result.text;
  const chunks = answerToMrkdwnChunks(source, SLACK_LIMITS.textChars);
  const frame = {
    type: 'modal',
    title: ownPlainText('Result', SLACK_LIMITS.modalTitleChars),
    close: ownPlainText('Close', SLACK_LIMITS.modalTitleChars),
    callback_id: RESULT_MODAL_CALLBACK_ID,
    private_metadata: record.id.slice(0, SLACK_LIMITS.privateMetadataChars),
  };
  let blocksLeft = SLACK_LIMITS.viewBlocks - head.length - tail.length - 1;
  let bytesLeft =
    SLACK_LIMITS.viewBytes - BYTES_MARGIN - jsonBytes({ ...frame, blocks: [...head, ...tail, restNote] });

  const answer: Block[] = [];
  let cut = source.length < result.text.length;
  for (const chunk of chunks) {
    const block: Block = { type: 'section', text: mrkdwn(chunk, { verbatim: false }) };
    const size = jsonBytes(block) + 1;
    if (blocksLeft === 0 || size > bytesLeft) {
      cut = true;
      break;
    }
    answer.push(block);
    blocksLeft -= 1;
    bytesLeft -= size;
  }
  if (chunks.length === 0) answer.push({ type: 'section', text: mrkdwn('_The answer was empty._') });

  return { ...frame, type: 'modal', blocks: [...head, ...answer, ...(cut ? [restNote] : []), ...tail] };
};
