import type { types } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { ThreadTarget } from '../core/domain.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { createMessageEditor } from './edit-message.js';
import { MESSAGE_MAX_CHARS, splitForMessages, toAnswerBlocks } from './format.js';
import { type Mark, type MessageMetadata, toMetadata } from './metadata.js';
import { neutralize } from './neutralize.js';
import { requireTs, type SlackCall } from './slack-call.js';
import type { StatusKeeper } from './status.js';

type Block = types.KnownBlock | types.Block;

export type ReplyTarget = Pick<ThreadTarget, 'channelId' | 'threadTs'>;

/**
 * `replacing`: one of the bot's messages (a request's queued note) that becomes the first message
 * of this one, edited in place (chat.update, with the new metadata) instead of a second message
 * in the thread. When it is gone, the text is posted anew.
 */
export interface InPlace {
  replacing?: string;
}

export interface ReplyPostDeps {
  client: WebClient;
  call: SlackCall;
  /** Told of every message posted in a thread (Slack clears the thread's status then). */
  status: Pick<StatusKeeper, 'postedIn'>;
  log: Logger;
}

/**
 * How the poster writes a reply, an answer or a note into a thread: neutralised, split into as
 * many messages as it takes, the mark (message metadata) on the last; the first may replace one of
 * the bot's messages in place.
 */
export const createReplyPost = (deps: ReplyPostDeps) => {
  const { client, call, status, log } = deps;

  const postMessage = async (
    target: ReplyTarget,
    content: { text: string; blocks: Block[] },
    metadata?: MessageMetadata,
  ): Promise<string> => {
    const res = await call('chat.postMessage', target.channelId, () =>
      client.chat.postMessage({
        channel: target.channelId,
        thread_ts: target.threadTs,
        ...content,
        unfurl_links: false,
        unfurl_media: false,
        ...(metadata ? { metadata } : {}),
      }),
    );
    // Slack clears a thread's status when the app posts there.
    status.postedIn(target.channelId, target.threadTs);
    return requireTs(res.ts, 'chat.postMessage');
  };

  const edit = createMessageEditor({ client, call, log });

  /**
   * The mark goes on the last message, so finding it proves the whole reply went out; so do the
   * `closing` blocks (an answer's feedback buttons). `replacing`: the first part is that message,
   * edited in place; when it is not also the last, it trades the note's mark for an answer's
   * without the job id (read back as the answer it is, it proves nothing about the rest).
   */
  const post = async (
    target: ReplyTarget,
    text: string,
    opts: { blocks?: Block[]; mark?: Mark; closing?: Block[] } & InPlace = {},
  ): Promise<{ ts: string[] }> => {
    const metadata = opts.mark ? toMetadata(opts.mark) : undefined;
    const replacedMark =
      opts.mark?.type === 'answer'
        ? toMetadata({ type: 'answer', requestId: opts.mark.requestId })
        : metadata;
    let replacing = opts.replacing;
    const send = async (content: { text: string; blocks: Block[] }, meta: MessageMetadata | undefined) => {
      const ts = replacing;
      replacing = undefined;
      if (ts !== undefined && (await edit(target.channelId, ts, content, meta ?? replacedMark))) return ts;
      return postMessage(target, content, meta);
    };
    if (opts.blocks) return { ts: [await send({ text: neutralize(text), blocks: opts.blocks }, metadata)] };
    if (text.trim() === '') throw new AppError('invalid_payload', 'reply text is empty');
    const parts = splitForMessages(neutralize(text), MESSAGE_MAX_CHARS);
    const ts: string[] = [];
    for (const [i, part] of parts.entries()) {
      const content = toAnswerBlocks(part);
      const last = i === parts.length - 1;
      const blocks = last && opts.closing ? [...content.blocks, ...opts.closing] : content.blocks;
      ts.push(await send({ text: content.text, blocks }, last ? metadata : undefined));
    }
    return { ts };
  };
  return post;
};
