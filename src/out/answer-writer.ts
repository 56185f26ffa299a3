import type { ThreadTarget } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import type { Sleep } from '../core/time.js';
import { AnswerMessages, type AnswerMessagesDeps } from './answer-messages.js';
import { openFenceAt } from './format.js';
import { createNeutralizer } from './neutralize.js';
import { pauseUnlessStopped } from './pacing.js';
import { slackErrorCode, toSlackAppError } from './slack-error.js';
import { createTableStreamer, type TableStreamer } from './table-stream.js';
import { feedbackBlock } from './views/feedback.js';

/** The messages an answer went out in; `feedbackTs` is the one that carries the feedback buttons. */
export interface WrittenAnswer {
  ts: string[];
  feedbackTs?: string;
  /** The final chat.stopStream moved the thread's agent session to this status (FinishOptions). */
  sessionStatus?: string;
}

export interface AnswerWriter {
  /** Buffers raw Markdown; a timer sends it. */
  append(delta: string): void;
  /**
   * Sends the rest and closes the answer. `error` adds a visible note; `cutOff` says the kept text
   * is incomplete; `stopped` (someone pressed stop) keeps only what was shown, and says who. An
   * answer that shows model text ends with the 👍/👎 feedback buttons on its last message; one
   * without (it failed entirely, or came back empty) has none. Resolves with the ts of every
   * message the answer used, in order.
   */
  finish(opts?: FinishOptions): Promise<WrittenAnswer>;
  /** Ends the answer with `message`: replaces the placeholder when there is no text, else notes the cut. */
  fail(message: string, opts?: Pick<FinishOptions, 'sessionStatus'>): Promise<WrittenAnswer>;
}

export interface FinishOptions {
  error?: string;
  cutOff?: boolean;
  /** Who pressed stop, and the streams Slack stopped on that click (they take no more text). */
  stopped?: { userId: string; streams: readonly string[] };
  /**
   * The agent session status the answer's closing chat.stopStream sets (`session_status`), saving
   * a separate agents.sessions.setStatus; an answer that ends as a posted message cannot, and says
   * so by leaving `sessionStatus` out of its result.
   */
  sessionStatus?: 'active' | 'suspended';
}

/** How long the first flush waits for more text (users see the first words this much later). */
export const FIRST_FLUSH_GATHER_MS = 250;
export const EMPTY_ANSWER_NOTE = '⚠️ The answer came back empty. Please ask again.';

export interface AnswerWriterDeps extends AnswerMessagesDeps {
  now: () => number;
  sleep: Sleep;
  log: Logger;
}

/**
 * One answer that grows while the model writes. Deltas are buffered; a loop flushes them at the
 * pacer's interval into the answer's messages (answer-messages.ts). All Slack calls of one answer
 * are serialised: the loop runs them until finish() takes over.
 */
export const createAnswerWriter = (target: ThreadTarget, deps: AnswerWriterDeps): AnswerWriter =>
  new Answer(target, deps);

class Answer implements AnswerWriter {
  // Slack joins the pieces of a stream: they are neutralised as one text (neutralize.ts), and
  // `ready` holds what can go out, whatever comes next.
  private readonly neutralizer = createNeutralizer();
  // A stream cannot show a table block, nor take its text back: its tables go out as monospace once
  // complete (table-stream.ts). A posted answer's tables become blocks when it is written (format.ts).
  private readonly tables: TableStreamer | undefined;
  private ready = '';
  /** `ready` before the stream's table shaping: an answer that goes out whole is posted, with table blocks. */
  private readyUnshaped = '';
  private all = '';
  private finishing = false;
  private result: Promise<WrittenAnswer> | undefined;
  private wake: (() => void) | undefined;
  private readonly stopSleep = new AbortController();
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private firstTextAt: number | undefined;
  private readonly messages: AnswerMessages;
  private readonly loop: Promise<void>;

  constructor(
    target: ThreadTarget,
    private readonly deps: AnswerWriterDeps,
  ) {
    this.messages = new AnswerMessages(target, deps);
    this.tables = deps.nativeStreaming ? createTableStreamer() : undefined;
    this.loop = this.run();
  }

  append(delta: string): void {
    if (this.finishing) {
      this.deps.log.debug('delta after finish ignored');
      return;
    }
    this.all += delta;
    const safe = this.neutralizer.push(delta);
    this.ready += this.shaped(safe, false);
    this.readyUnshaped += safe;
    if (this.ready !== '') this.wake?.();
  }

  finish(opts: FinishOptions = {}): Promise<WrittenAnswer> {
    this.result ??= this.finalize(opts);
    return this.result;
  }

  fail(message: string, opts: Pick<FinishOptions, 'sessionStatus'> = {}): Promise<WrittenAnswer> {
    return this.finish({ ...opts, error: message, cutOff: this.all.trim() !== '' });
  }

  private async run(): Promise<void> {
    // A posted answer shows a placeholder at once; a stream starts with its first text.
    if (!this.deps.nativeStreaming) {
      try {
        await this.messages.postPlaceholder();
        this.lastFlushAt = this.deps.now();
      } catch (err) {
        if (!this.recoverable(err)) return;
      }
    }
    while (!this.finishing) {
      // Wait for text to send (or text a failed flush left pending).
      while (!this.finishing && this.ready === '' && !this.messages.hasPending) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      if (this.finishing) return;
      // The first flush gathers a moment of text: a short answer then goes out whole, in one call,
      // instead of a fragment that needs an edit (chat.update is the scarcest budget).
      this.firstTextAt ??= this.deps.now();
      const wait =
        Math.max(
          this.lastFlushAt + this.deps.pacer.interval(this.messages.kind),
          this.firstTextAt + FIRST_FLUSH_GATHER_MS,
        ) - this.deps.now();
      if (wait > 0) await pauseUnlessStopped(this.deps.sleep, wait, this.stopSleep.signal);
      if (this.finishing) return;
      try {
        await this.flush(false);
      } catch (err) {
        if (!this.recoverable(err)) return;
      }
      this.lastFlushAt = this.deps.now();
    }
  }

  /** Neutralised text as it goes out: through the stream's table shaping when there is one. */
  private shaped(text: string, end: boolean): string {
    if (!this.tables) return text;
    return this.tables.push(text) + (end ? this.tables.end() : '');
  }

  /** Hands the text that is ready to the messages (a failed flush keeps it pending there). */
  private flush(final: boolean, sessionStatus?: string): Promise<void> {
    const text = this.ready;
    this.ready = '';
    this.readyUnshaped = '';
    const closing = final && this.all.trim() !== '' ? [feedbackBlock()] : undefined;
    return this.messages.flush(text, final, closing, sessionStatus);
  }

  /**
   * Logs a failed flush. A retryable one is tried again at the next interval; after a final one the
   * loop stops and finish() makes the last attempt (and reports the error).
   */
  private recoverable(err: unknown): boolean {
    const e = toSlackAppError(err, 'chat.postMessage');
    this.deps.log.warn(
      { code: e.code, slackError: slackErrorCode(e), retryable: e.retryable },
      e.retryable ? 'answer flush failed; trying again' : 'answer flush failed; the rest goes out at finish',
    );
    return e.retryable;
  }

  private async finalize(opts: FinishOptions): Promise<WrittenAnswer> {
    this.finishing = true;
    this.stopSleep.abort();
    this.wake?.();
    await this.loop;
    if (opts.stopped) {
      // What the user had not seen when they pressed stop stays unseen. The note is ours (a user
      // id, no model text): nothing in it to neutralise.
      const shown = this.messages.stop(opts.stopped.streams);
      this.ready = stopNoteFor(shown, opts.stopped.userId);
    } else {
      const safe = this.neutralizer.push(noteFor(this.all, opts)) + this.neutralizer.end();
      this.ready += this.shaped(safe, true);
      this.readyUnshaped += safe;
      // Nothing went out yet: the whole answer is posted in one message (a stream only starts with a
      // flush), so its tables can be blocks rather than the monospace a stream needs.
      if (this.messages.posted.length === 0 && !this.messages.hasPending) this.ready = this.readyUnshaped;
    }
    try {
      await this.flush(true, opts.sessionStatus);
      const { closedAt, sessionStatusSet } = this.messages;
      return {
        ts: [...this.messages.posted],
        ...(closedAt ? { feedbackTs: closedAt } : {}),
        ...(sessionStatusSet ? { sessionStatus: sessionStatusSet } : {}),
      };
    } catch (err) {
      throw toSlackAppError(err, 'chat.postMessage');
    } finally {
      this.messages.release();
    }
  }
}

/** The note a stopped answer ends with, after the text the user saw (`shown`) in its message. */
export const stopNoteFor = (shown: string, userId: string): string => {
  const note = `⏹️ Stopped by <@${userId}>.`;
  if (shown.trim() === '') return note;
  return `${closingFence(shown)}\n\n> ${note}`;
};

/** What closes a code block `text` leaves open ('' when none), so a note after it is not code. */
const closingFence = (text: string): string => {
  const fence = openFenceAt(text);
  return fence ? `${text.endsWith('\n') ? '' : '\n'}${fence.closer}` : '';
};

/** The visible note an answer ends with when it failed or was cut off ('' when neither). */
export const noteFor = (answer: string, opts: { error?: string; cutOff?: boolean }): string => {
  const error = opts.error?.replace(/\s+/g, ' ').trim();
  const hasText = answer.trim() !== '';
  if (!error && !opts.cutOff) return hasText ? '' : EMPTY_ANSWER_NOTE;
  // The error says why (userMessageFor names the cause, not "cut off"), so "cut off" is said once.
  const what = opts.cutOff ? `The answer was cut off.${error ? ` ${error}` : ''}` : (error ?? '');
  if (!hasText) return `⚠️ ${what}`;
  // Close an open code block first, or the note would render as code.
  return `${closingFence(answer)}\n\n> ⚠️ ${what}`;
};
