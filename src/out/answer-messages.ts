import type { KnownBlock, WebClient } from '@slack/web-api';
import type { ThreadTarget } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import { createMessageEditor } from './edit-message.js';
import { MESSAGE_MAX_CHARS, takeFirstPart, toAnswerBlocks } from './format.js';
import type { FlushKind, Pacer, PacerSlot } from './pacing.js';
import { requireTs, type SlackCall } from './slack-call.js';
import { slackErrorCode } from './slack-error.js';

/** Shown until the first text arrives when the answer is a posted (not streamed) message. */
export const PLACEHOLDER_TEXT = '_Thinking…_';

export interface AnswerMessagesDeps {
  client: Pick<WebClient, 'chat'>;
  call: SlackCall;
  pacer: Pacer;
  log: Logger;
  /** Start with a native stream (chat.startStream); else with a posted message edited in place. */
  nativeStreaming: boolean;
  /** A message of this answer now exists in the thread. */
  onPosted: () => void;
}

/** The message currently being written. */
interface Current {
  mode: 'stream' | 'post';
  ts: string | undefined;
  /** Answer text this message shows in Slack (neutralised). */
  sent: string;
  /** Neutralised text that belongs to this message but has not gone out yet. */
  pending: string;
  /** The message still shows the placeholder. */
  placeholder: boolean;
}

/**
 * The Slack messages one answer is written into: a native stream (startStream → appendStream →
 * stopStream) or a posted message edited in place (postMessage → chat.update). Each message holds at
 * most MESSAGE_MAX_CHARS; beyond that the answer continues in a new posted message, and so it does
 * when Slack ends a stream early or a message is gone. Text that failed to go out stays pending for
 * the next flush. The caller serialises the calls (answer-writer.ts).
 */
export class AnswerMessages {
  /** The ts of every message the answer used, in order. */
  readonly posted: string[] = [];
  /** The message that went out with the closing blocks (the answer's last), once it did. */
  closedAt: string | undefined;
  /** The agent session status the answer's last chat.stopStream set (`session_status`), once it did. */
  sessionStatusSet: string | undefined;
  /** The session status the final chat.stopStream sets, while the final flush writes it. */
  private endStatus: string | undefined;
  /** Blocks the last message ends with, while the final flush writes it. */
  private closing: KnownBlock[] | undefined;
  private cur: Current;
  private readonly slot: PacerSlot;
  private readonly edit: ReturnType<typeof createMessageEditor>;

  constructor(
    private readonly target: ThreadTarget,
    private readonly deps: AnswerMessagesDeps,
  ) {
    const mode = deps.nativeStreaming ? 'stream' : 'post';
    this.cur = { mode, ts: undefined, sent: '', pending: '', placeholder: false };
    this.slot = deps.pacer.register(mode === 'stream' ? 'stream' : 'update');
    this.edit = createMessageEditor(deps);
  }

  /** How the current message is flushed (its pacing interval). */
  get kind(): FlushKind {
    return this.slot.kind;
  }

  /** Text a failed flush left behind. */
  get hasPending(): boolean {
    return this.cur.pending !== '';
  }

  /**
   * Someone pressed stop: text not sent yet is dropped, and a stream Slack stopped on that click
   * (`ended`) takes nothing more, so what follows goes in a new message. Returns what the current
   * message shows.
   */
  stop(ended: readonly string[]): string {
    this.cur.pending = '';
    if (this.cur.mode === 'stream' && this.cur.ts !== undefined && ended.includes(this.cur.ts))
      this.startNext('');
    return this.cur.sent;
  }

  /** The answer no longer counts as in flight for pacing. */
  release(): void {
    this.slot.release();
  }

  /**
   * Moves `text` into the current message, rolls over full messages, and sends; `final` closes it,
   * its last message ending with `closing` (Slack's `chat.stopStream` takes blocks for this) and,
   * when it ends as a stream, moving the thread's agent session to `sessionStatus` in that call.
   */
  async flush(text: string, final: boolean, closing?: KnownBlock[], sessionStatus?: string): Promise<void> {
    this.cur.pending += text;
    while (this.cur.sent.length + this.cur.pending.length > MESSAGE_MAX_CHARS) {
      const whole = this.cur.sent + this.cur.pending;
      // Streamed text cannot be taken back: the cut comes after it.
      const streamed = this.cur.mode === 'stream' && this.cur.ts !== undefined;
      const { head, tail } = takeFirstPart(whole, MESSAGE_MAX_CHARS, streamed ? this.cur.sent.length : 0);
      await this.complete(head);
      this.startNext(tail);
    }
    if (final) {
      this.closing = closing;
      this.endStatus = sessionStatus;
      await this.complete(this.cur.sent + this.cur.pending);
    } else if (this.cur.pending !== '') await this.push();
  }

  async postPlaceholder(): Promise<void> {
    const res = await this.deps.call('chat.postMessage', this.channel, () =>
      this.deps.client.chat.postMessage({
        channel: this.channel,
        thread_ts: this.target.threadTs,
        text: PLACEHOLDER_TEXT,
      }),
    );
    this.cur.ts = requireTs(res.ts, 'chat.postMessage');
    this.cur.placeholder = true;
    this.posted.push(this.cur.ts);
    this.deps.onPosted();
  }

  private get channel(): string {
    return this.target.channelId;
  }

  /** Continues the answer in a new posted message. */
  private startNext(pending: string): void {
    this.cur = { mode: 'post', ts: undefined, sent: '', pending, placeholder: false };
    this.slot.switchTo('update');
  }

  /** Sends the pending text of the current message. */
  private async push(): Promise<void> {
    const c = this.cur;
    if (c.mode === 'stream') {
      if (c.ts === undefined) {
        if (await this.startStream(c.pending)) return;
        this.startNext(c.pending);
      } else {
        const ts = c.ts;
        try {
          await this.deps.call('chat.appendStream', this.channel, () =>
            this.deps.client.chat.appendStream({ channel: this.channel, ts, markdown_text: c.pending }),
          );
          c.sent += c.pending;
          c.pending = '';
          return;
        } catch (err) {
          // Typically message_not_in_streaming_state: the stream expired, or someone pressed stop
          // (Slack stops the stream at once; the stop reaches the answer a moment later). It keeps
          // what it showed; the text it refused continues in a new message at the next flush, so
          // a stop that arrives meanwhile leaves nothing after the stopped stream.
          this.deps.log.info(
            { slackError: slackErrorCode(err) },
            'stream ended early; continuing in a new message',
          );
          this.startNext(c.pending);
          return;
        }
      }
    }
    const p = this.cur;
    if (p.ts === undefined) {
      await this.postNew(p.pending);
    } else {
      await this.update(p.sent + p.pending);
    }
  }

  /** Makes the current message show exactly `content` and closes it. */
  private async complete(content: string): Promise<void> {
    const c = this.cur;
    if (c.mode === 'stream' && c.ts !== undefined) {
      const ts = c.ts;
      const extra = content.slice(c.sent.length);
      try {
        await this.deps.call('chat.stopStream', this.channel, () =>
          this.deps.client.chat.stopStream({
            channel: this.channel,
            ts,
            ...(extra !== '' ? { markdown_text: extra } : {}),
            ...(this.closing ? { blocks: this.closing } : {}),
            ...(this.endStatus ? { session_status: this.endStatus } : {}),
          }),
        );
        c.sent = content;
        c.pending = '';
        if (this.closing) this.closedAt = ts;
        this.sessionStatusSet = this.endStatus;
      } catch (err) {
        this.deps.log.info(
          { slackError: slackErrorCode(err) },
          'stream could not be stopped; posting the rest',
        );
        this.startNext('');
        if (extra.trim() !== '') await this.postNew(extra);
      }
      return;
    }
    if (c.ts === undefined) {
      if (content.trim() !== '') await this.postNew(content);
      return;
    }
    // The closing blocks need one more edit even when the text already went out.
    if (c.placeholder || content !== c.sent || this.closing) await this.update(content);
  }

  private async startStream(text: string): Promise<boolean> {
    const c = this.cur;
    const recipients = this.target.isDm
      ? {}
      : { recipient_user_id: this.target.userId, recipient_team_id: this.target.teamId };
    try {
      const res = await this.deps.call(
        'chat.startStream',
        this.channel,
        () =>
          this.deps.client.chat.startStream({
            channel: this.channel,
            thread_ts: this.target.threadTs,
            markdown_text: text,
            ...recipients,
          }),
        // A start with no token free now, or refused, has a better answer than waiting: a posted message.
        { retryOnRateLimit: false },
      );
      c.ts = requireTs(res.ts, 'chat.startStream');
      this.posted.push(c.ts);
      this.deps.onPosted();
      c.sent = text;
      c.pending = '';
      return true;
    } catch (err) {
      this.deps.log.info({ slackError: slackErrorCode(err) }, 'native streaming refused; posting instead');
      return false;
    }
  }

  /** The message's content: the answer text, and the closing blocks when this is the last message. */
  private contentOf(content: string): { text: string; blocks: KnownBlock[] } {
    const { text, blocks } = toAnswerBlocks(content);
    return { text, blocks: this.closing ? [...blocks, ...this.closing] : blocks };
  }

  private async postNew(content: string): Promise<void> {
    const { text, blocks } = this.contentOf(content);
    const res = await this.deps.call('chat.postMessage', this.channel, () =>
      this.deps.client.chat.postMessage({
        channel: this.channel,
        thread_ts: this.target.threadTs,
        text,
        blocks,
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    const ts = requireTs(res.ts, 'chat.postMessage');
    if (this.closing) this.closedAt = ts;
    if (this.cur.mode === 'stream') {
      this.cur.mode = 'post';
      this.slot.switchTo('update');
    }
    this.cur.ts = ts;
    this.cur.sent = content;
    this.cur.pending = '';
    this.cur.placeholder = false;
    this.posted.push(ts);
    this.deps.onPosted();
  }

  private async update(content: string): Promise<void> {
    const ts = this.cur.ts;
    if (ts === undefined) return this.postNew(content);
    if (!(await this.edit(this.channel, ts, this.contentOf(content)))) {
      // Gone (deleted, too old to edit): the answer goes on in a new message.
      const at = this.posted.indexOf(ts);
      if (at !== -1) this.posted.splice(at, 1);
      this.cur.ts = undefined;
      return this.postNew(content);
    }
    this.cur.sent = content;
    this.cur.pending = '';
    this.cur.placeholder = false;
    if (this.closing) this.closedAt = ts;
  }
}
