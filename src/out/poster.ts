import type { types } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { ThreadTarget } from '../core/domain.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { sleep as realSleep, type Sleep } from '../core/time.js';
import { MESSAGE_MAX_CHARS, openFenceAt, splitForMessages, takeFirstPart, toAnswerBlocks } from './format.js';
import { createNeutralizer, neutralize } from './neutralize.js';
import { createPacer, type Pacer, type PacerSlot, type Pacing } from './pacing.js';
import { createRateGate, type RunOptions } from './rate-gate.js';
import { slackErrorCode, toSlackAppError } from './slack-error.js';

/**
 * Everything Backchannel writes to Slack goes through here: thread status, answers that grow while
 * the model writes, replies, reactions, ephemeral messages and slash-command responses. Slack's
 * errors leave as AppError (`slack_api`, `slack_not_in_channel`); 429s are waited out per method and
 * channel (rate-gate.ts) so one busy channel never holds up another.
 */

export type Block = types.KnownBlock | types.Block;

export interface SlackPosterDeps {
  client: WebClient;
  logger: Logger;
  /** Try chat.startStream first; a refusal falls back to a posted message either way. */
  nativeStreaming: boolean;
  now?: () => number;
  sleep?: Sleep;
  pacing?: Partial<Pacing>;
  /** Keepalive for assistant thread status (default 90 s: Slack drops a status after 2 minutes). */
  statusRefreshMs?: number;
  /** How long a status is kept alive at most (default 10 minutes). */
  statusMaxMs?: number;
  /** For `respond`; defaults to the global fetch. */
  fetch?: typeof fetch;
  respondTimeoutMs?: number;
}

export type StatusTarget = Pick<ThreadTarget, 'channelId' | 'threadTs'>;
export type ReplyTarget = Pick<ThreadTarget, 'channelId' | 'threadTs'>;

export interface StatusHandle {
  /** Whether Slack accepted the status (it refuses outside assistant threads or without the scope). */
  readonly shown: boolean;
  /** Changes the status text (kept alive from then on). */
  update(status: string): Promise<void>;
  /** Stops the keepalive; `clear` also blanks the status (when no reply will clear it). Never rejects. */
  stop(opts?: { clear?: boolean }): Promise<void>;
}

export interface AnswerWriter {
  /** Buffers raw Markdown; a timer sends it. */
  append(delta: string): void;
  /**
   * Sends the rest and closes the answer. `error` adds a visible note; `cutOff` says the kept text
   * is incomplete. Resolves with the ts of every message the answer used, in order.
   */
  finish(opts?: { error?: string; cutOff?: boolean }): Promise<{ ts: string[] }>;
  /** Ends the answer with `message`: replaces the placeholder when there is no text, else notes the cut. */
  fail(message: string): Promise<{ ts: string[] }>;
}

export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface ReplyOptions {
  /** Attached to the last message of the reply, so finding it proves the whole reply went out. */
  metadata?: MessageMetadata;
  /** Custom blocks: sent as one message, with `text` as the notification fallback. */
  blocks?: Block[];
}

export interface SlackPoster {
  setStatus(target: StatusTarget, status: string): Promise<StatusHandle>;
  /**
   * `placeholder: true` shows a placeholder message at once (an edited message instead of a native
   * stream, which can only start with text): for when no thread status tells the user we are working.
   */
  startAnswer(target: ThreadTarget, opts?: { placeholder?: boolean }): AnswerWriter;
  reply(target: ReplyTarget, text: string, opts?: ReplyOptions): Promise<{ ts: string[] }>;
  react(channel: string, ts: string, name: string): Promise<void>;
  unreact(channel: string, ts: string, name: string): Promise<void>;
  remove(channel: string, ts: string): Promise<void>;
  postEphemeral(
    channel: string,
    user: string,
    text: string,
    opts?: { threadTs?: string; blocks?: Block[] },
  ): Promise<void>;
  respond(responseUrl: string, body: Record<string, unknown>, opts?: { issuedAt?: number }): Promise<void>;
  /** Answers in flight per flush kind (metrics, tests). */
  activeAnswers(): { stream: number; update: number };
}

/** Shown until the first text arrives when the answer is a posted (not streamed) message. */
export const PLACEHOLDER_TEXT = '_Thinking…_';
/** How long the first flush waits for more text (users see the first words this much later). */
export const FIRST_FLUSH_GATHER_MS = 250;
export const EMPTY_ANSWER_NOTE = '⚠️ The answer came back empty. Please ask again.';
export const DEFAULT_STATUS_REFRESH_MS = 90_000;
export const DEFAULT_STATUS_MAX_MS = 10 * 60_000;
/** response_url: at most 5 uses within 30 minutes. */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
/** Slack errors after which a chat.update target is gone, so the text goes into a new message. */
const MESSAGE_GONE = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);

type Call = <T>(method: string, channel: string, fn: () => Promise<T>, opts?: RunOptions) => Promise<T>;

export const createSlackPoster = (deps: SlackPosterDeps): SlackPoster => {
  const { client } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const log = deps.logger.child({ component: 'slack-poster' });
  const gate = createRateGate({ logger: deps.logger, now, sleep });
  const pacer = createPacer({ ...(deps.pacing ? { pacing: deps.pacing } : {}), now, sleep });
  const statusRefreshMs = deps.statusRefreshMs ?? DEFAULT_STATUS_REFRESH_MS;
  const statusMaxMs = deps.statusMaxMs ?? DEFAULT_STATUS_MAX_MS;
  const fetchImpl = deps.fetch ?? fetch;
  const respondTimeoutMs = deps.respondTimeoutMs ?? 10_000;

  const call: Call = async (method, channel, fn, opts) => {
    try {
      return await gate.run(method, channel, fn, opts);
    } catch (err) {
      throw toSlackAppError(err, method);
    }
  };

  // Slack clears a thread's status when the app posts there; a keepalive refresh after that would
  // bring "is thinking…" back under the answer. So posting in a thread halts its keepalives.
  const keepalives = new Map<string, Set<() => void>>();
  const threadKey = (channel: string, threadTs: string) => `${channel} ${threadTs}`;
  const postedIn = (channel: string, threadTs: string): void => {
    const key = threadKey(channel, threadTs);
    const halts = keepalives.get(key);
    if (!halts) return;
    keepalives.delete(key);
    for (const halt of halts) halt();
  };

  const setStatus = async (target: StatusTarget, status: string): Promise<StatusHandle> => {
    let current = status;
    let stopped = false;
    let available = true;
    const stopSleep = new AbortController();
    const key = threadKey(target.channelId, target.threadTs);
    const halt = () => {
      stopped = true;
      stopSleep.abort();
    };
    const forget = () => {
      const halts = keepalives.get(key);
      halts?.delete(halt);
      if (halts?.size === 0) keepalives.delete(key);
    };
    const send = async (text: string): Promise<boolean> => {
      try {
        await call(
          'assistant.threads.setStatus',
          target.channelId,
          () =>
            client.assistant.threads.setStatus({
              channel_id: target.channelId,
              thread_ts: target.threadTs,
              status: text,
            }),
          { retryOnRateLimit: false },
        );
        return true;
      } catch (err) {
        // Not an assistant thread, or no assistant:write scope: the answer's placeholder covers visibility.
        log.debug(
          { channel: target.channelId, slackError: slackErrorCode(err) },
          'assistant status unavailable',
        );
        available = false;
        return false;
      }
    };
    await send(status);
    const halts = keepalives.get(key) ?? new Set();
    halts.add(halt);
    keepalives.set(key, halts);
    // Slack clears a status after 2 minutes without a message; refresh it until stopped, a message
    // is posted in the thread, or statusMaxMs passes (a forgotten handle must not refresh forever).
    const startedAt = now();
    const keepalive = (async () => {
      while (!stopped && available && now() - startedAt < statusMaxMs) {
        try {
          await sleep(statusRefreshMs, stopSleep.signal);
        } catch {
          break; // halt() aborted the wait
        }
        if (stopped || !available) break;
        await send(current);
      }
      forget();
    })();
    return {
      get shown() {
        return available;
      },
      update: async (next) => {
        current = next;
        if (!stopped && available) await send(next);
      },
      stop: async (opts) => {
        if (stopped) return;
        halt();
        await keepalive;
        if (opts?.clear && available) await send('');
      },
    };
  };

  const postMarkdown = async (
    target: ReplyTarget,
    markdown: string,
    metadata?: MessageMetadata,
  ): Promise<string> => {
    const { text, blocks } = toAnswerBlocks(markdown);
    const res = await call('chat.postMessage', target.channelId, () =>
      client.chat.postMessage({
        channel: target.channelId,
        thread_ts: target.threadTs,
        text,
        blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(metadata ? { metadata: metadata as types.MessageMetadata } : {}),
      }),
    );
    postedIn(target.channelId, target.threadTs);
    return requireTs(res.ts, 'chat.postMessage');
  };

  const reply = async (
    target: ReplyTarget,
    text: string,
    opts: ReplyOptions = {},
  ): Promise<{ ts: string[] }> => {
    if (opts.blocks) {
      const res = await call('chat.postMessage', target.channelId, () =>
        client.chat.postMessage({
          channel: target.channelId,
          thread_ts: target.threadTs,
          text: neutralize(text),
          blocks: opts.blocks ?? [],
          unfurl_links: false,
          unfurl_media: false,
          ...(opts.metadata ? { metadata: opts.metadata as types.MessageMetadata } : {}),
        }),
      );
      postedIn(target.channelId, target.threadTs);
      return { ts: [requireTs(res.ts, 'chat.postMessage')] };
    }
    if (text.trim() === '') throw new AppError('invalid_payload', 'reply text is empty');
    const parts = splitForMessages(neutralize(text), MESSAGE_MAX_CHARS);
    const ts: string[] = [];
    for (const [i, part] of parts.entries()) {
      ts.push(await postMarkdown(target, part, i === parts.length - 1 ? opts.metadata : undefined));
    }
    return { ts };
  };

  const react = async (channel: string, ts: string, name: string): Promise<void> => {
    try {
      await call('reactions.add', channel, () => client.reactions.add({ channel, timestamp: ts, name }));
    } catch (err) {
      if (slackErrorCode(err) !== 'already_reacted') throw err;
    }
  };

  const unreact = async (channel: string, ts: string, name: string): Promise<void> => {
    try {
      await call('reactions.remove', channel, () =>
        client.reactions.remove({ channel, timestamp: ts, name }),
      );
    } catch (err) {
      if (slackErrorCode(err) !== 'no_reaction') throw err;
    }
  };

  /** Deletes one of the bot's messages (`message_not_found` is success). */
  const remove = async (channel: string, ts: string): Promise<void> => {
    try {
      await call('chat.delete', channel, () => client.chat.delete({ channel, ts }));
    } catch (err) {
      if (slackErrorCode(err) !== 'message_not_found') throw err;
    }
  };

  const postEphemeral: SlackPoster['postEphemeral'] = async (channel, user, text, opts = {}) => {
    await call('chat.postEphemeral', channel, () =>
      client.chat.postEphemeral({
        channel,
        user,
        text: neutralize(text),
        ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
        ...(opts.blocks ? { blocks: opts.blocks } : {}),
      }),
    );
  };

  // response_url is a capability: never logged, never sent the bot token. Uses are counted here,
  // in this process only.
  const responseUrlUses = new Map<string, { count: number; since: number }>();
  const respond: SlackPoster['respond'] = async (responseUrl, body, opts = {}) => {
    let url: URL;
    try {
      url = new URL(responseUrl);
    } catch {
      throw new AppError('invalid_payload', 'response_url is not a URL');
    }
    // Slack's response URLs are https; plain http is allowed only on loopback (local stand-ins).
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
      throw new AppError('invalid_payload', 'response_url must use https');
    const t = now();
    for (const [key, use] of responseUrlUses)
      if (t - use.since > RESPONSE_URL_TTL_MS) responseUrlUses.delete(key);
    const use = responseUrlUses.get(responseUrl) ?? { count: 0, since: opts.issuedAt ?? t };
    if (use.count >= RESPONSE_URL_MAX_USES || t - use.since > RESPONSE_URL_TTL_MS) {
      throw new AppError('slack_response_url_expired', 'response_url is used up (5 uses within 30 minutes)');
    }
    use.count += 1;
    responseUrlUses.set(responseUrl, use);
    const payload = typeof body.text === 'string' ? { ...body, text: neutralize(body.text) } : body;
    const abort = new AbortController();
    // A plain timer, not AbortSignal.timeout/any: see PLATFORM-FACTS (Node 20).
    const timer = setTimeout(() => abort.abort(), respondTimeoutMs);
    try {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(payload),
        signal: abort.signal,
      });
      const answer = (await res.text()).slice(0, 200);
      if (res.ok) return;
      if (res.status === 404 || res.status === 410 || /expired_url|used_url/.test(answer)) {
        throw new AppError('slack_response_url_expired', `response_url refused: HTTP ${res.status}`);
      }
      throw new AppError('slack_api', `response_url POST failed: HTTP ${res.status}`, {
        retryable: res.status >= 500 || res.status === 429,
      });
    } catch (err) {
      if (err instanceof AppError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new AppError(
        'slack_api',
        `response_url POST failed: ${abort.signal.aborted ? 'timeout' : message}`,
        {
          retryable: true,
        },
      );
    } finally {
      clearTimeout(timer);
    }
  };

  const startAnswer = (target: ThreadTarget, opts: { placeholder?: boolean } = {}): AnswerWriter =>
    new Answer(target, {
      client,
      call,
      pacer,
      now,
      sleep,
      log: log.child({ channel: target.channelId, threadTs: target.threadTs }),
      nativeStreaming: deps.nativeStreaming && !opts.placeholder,
      onPosted: () => postedIn(target.channelId, target.threadTs),
    });

  return {
    setStatus,
    startAnswer,
    reply,
    react,
    unreact,
    remove,
    postEphemeral,
    respond,
    activeAnswers: () => ({ stream: pacer.active('stream'), update: pacer.active('update') }),
  };
};

const requireTs = (ts: string | undefined, method: string): string => {
  if (!ts) throw new AppError('slack_api', `Slack ${method} returned no ts`);
  return ts;
};

interface AnswerContext {
  client: WebClient;
  call: Call;
  pacer: Pacer;
  now: () => number;
  sleep: Sleep;
  log: Logger;
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
 * One answer. Deltas are buffered; a loop flushes them at the pacer's interval, either into a
 * native stream (startStream → appendStream → stopStream) or into a posted message edited in place
 * (postMessage → chat.update). Each message holds at most MESSAGE_MAX_CHARS; beyond that the answer
 * continues in a new message. All Slack calls of one answer are serialised: the loop runs them
 * until finish() takes over.
 */
class Answer implements AnswerWriter {
  // Slack joins the pieces of a stream: they are neutralised as one text (neutralize.ts), and
  // `ready` holds what can go out, whatever comes next.
  private readonly neutralizer = createNeutralizer();
  private ready = '';
  private all = '';
  private finishing = false;
  private result: Promise<{ ts: string[] }> | undefined;
  private wake: (() => void) | undefined;
  private readonly stopSleep = new AbortController();
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private firstTextAt: number | undefined;
  private readonly posted: string[] = [];
  private cur: Current;
  private readonly slot: PacerSlot;
  private readonly loop: Promise<void>;

  constructor(
    private readonly target: ThreadTarget,
    private readonly ctx: AnswerContext,
  ) {
    const mode = ctx.nativeStreaming ? 'stream' : 'post';
    this.cur = { mode, ts: undefined, sent: '', pending: '', placeholder: false };
    this.slot = ctx.pacer.register(mode === 'stream' ? 'stream' : 'update');
    this.loop = this.run();
  }

  append(delta: string): void {
    if (this.finishing) {
      this.ctx.log.debug('delta after finish ignored');
      return;
    }
    this.all += delta;
    this.ready += this.neutralizer.push(delta);
    if (this.ready !== '') this.wake?.();
  }

  finish(opts: { error?: string; cutOff?: boolean } = {}): Promise<{ ts: string[] }> {
    this.result ??= this.finalize(opts);
    return this.result;
  }

  fail(message: string): Promise<{ ts: string[] }> {
    return this.finish({ error: message, cutOff: this.all.trim() !== '' });
  }

  private get channel(): string {
    return this.target.channelId;
  }

  private async run(): Promise<void> {
    // A posted answer shows a placeholder at once; a stream starts with its first text.
    if (this.cur.mode === 'post') {
      try {
        await this.postPlaceholder();
      } catch (err) {
        if (!this.recoverable(err)) return;
      }
    }
    while (!this.finishing) {
      // Wait for text to send (or text a failed flush left pending).
      while (!this.finishing && this.ready === '' && this.cur.pending === '') {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
      if (this.finishing) return;
      // The first flush gathers a moment of text: a short answer then goes out whole, in one call,
      // instead of a fragment that needs an edit (chat.update is the scarcest budget).
      this.firstTextAt ??= this.ctx.now();
      const wait =
        Math.max(
          this.lastFlushAt + this.ctx.pacer.interval(this.slot.kind),
          this.firstTextAt + FIRST_FLUSH_GATHER_MS,
        ) - this.ctx.now();
      if (wait > 0) {
        try {
          await this.ctx.sleep(wait, this.stopSleep.signal);
        } catch {
          return; // finalize() aborted the wait
        }
      }
      if (this.finishing) return;
      try {
        await this.flush(false);
      } catch (err) {
        if (!this.recoverable(err)) return;
      }
      this.lastFlushAt = this.ctx.now();
    }
  }

  /**
   * Logs a failed flush. A retryable one is tried again at the next interval; after a final one the
   * loop stops and finish() makes the last attempt (and reports the error).
   */
  private recoverable(err: unknown): boolean {
    const e = toSlackAppError(err, 'chat.postMessage');
    this.ctx.log.warn(
      { code: e.code, slackError: slackErrorCode(e), retryable: e.retryable },
      e.retryable ? 'answer flush failed; trying again' : 'answer flush failed; the rest goes out at finish',
    );
    return e.retryable;
  }

  private async finalize(opts: { error?: string; cutOff?: boolean }): Promise<{ ts: string[] }> {
    this.finishing = true;
    this.stopSleep.abort();
    this.wake?.();
    await this.loop;
    this.ready += this.neutralizer.push(noteFor(this.all, opts)) + this.neutralizer.end();
    try {
      await this.flush(true);
      return { ts: [...this.posted] };
    } catch (err) {
      throw toSlackAppError(err, 'chat.postMessage');
    } finally {
      this.slot.release();
    }
  }

  /** Moves neutralised text into the current message, rolls over full messages, and sends. */
  private async flush(final: boolean): Promise<void> {
    this.cur.pending += this.ready;
    this.ready = '';
    while (this.cur.sent.length + this.cur.pending.length > MESSAGE_MAX_CHARS) {
      const whole = this.cur.sent + this.cur.pending;
      // Streamed text cannot be taken back: the cut comes after it.
      const streamed = this.cur.mode === 'stream' && this.cur.ts !== undefined;
      const { head, tail } = takeFirstPart(whole, MESSAGE_MAX_CHARS, streamed ? this.cur.sent.length : 0);
      await this.complete(head);
      this.startNext(tail);
    }
    if (final) await this.complete(this.cur.sent + this.cur.pending);
    else if (this.cur.pending !== '') await this.push();
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
        await this.ctx.pacer.acquire('stream');
        try {
          await this.ctx.call('chat.appendStream', this.channel, () =>
            this.ctx.client.chat.appendStream({ channel: this.channel, ts, markdown_text: c.pending }),
          );
          c.sent += c.pending;
          c.pending = '';
          return;
        } catch (err) {
          // Typically message_not_in_streaming_state: the stream expired. It keeps what it showed;
          // the text it refused continues in a new message.
          this.ctx.log.info(
            { slackError: slackErrorCode(err) },
            'stream ended early; continuing in a new message',
          );
          this.startNext(c.pending);
        }
      }
    }
    const p = this.cur;
    if (p.ts === undefined) {
      await this.postNew(p.pending);
    } else {
      await this.ctx.pacer.acquire('update');
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
        await this.ctx.call('chat.stopStream', this.channel, () =>
          this.ctx.client.chat.stopStream({
            channel: this.channel,
            ts,
            ...(extra !== '' ? { markdown_text: extra } : {}),
          }),
        );
        c.sent = content;
        c.pending = '';
      } catch (err) {
        this.ctx.log.info(
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
    if (c.placeholder || content !== c.sent) {
      await this.ctx.pacer.acquire('update');
      await this.update(content);
    }
  }

  private async startStream(text: string): Promise<boolean> {
    const c = this.cur;
    if (!(await this.ctx.pacer.tryAcquireStart())) {
      this.ctx.log.debug('chat.startStream budget spent; posting instead');
      return false;
    }
    const recipients = this.target.isDm
      ? {}
      : { recipient_user_id: this.target.userId, recipient_team_id: this.target.teamId };
    try {
      const res = await this.ctx.call(
        'chat.startStream',
        this.channel,
        () =>
          this.ctx.client.chat.startStream({
            channel: this.channel,
            thread_ts: this.target.threadTs,
            markdown_text: text,
            ...recipients,
          }),
        // A refused start has a better answer than waiting: a posted message.
        { retryOnRateLimit: false },
      );
      c.ts = requireTs(res.ts, 'chat.startStream');
      this.posted.push(c.ts);
      this.ctx.onPosted();
      c.sent = text;
      c.pending = '';
      return true;
    } catch (err) {
      this.ctx.log.info({ slackError: slackErrorCode(err) }, 'native streaming refused; posting instead');
      return false;
    }
  }

  private async postPlaceholder(): Promise<void> {
    const res = await this.ctx.call('chat.postMessage', this.channel, () =>
      this.ctx.client.chat.postMessage({
        channel: this.channel,
        thread_ts: this.target.threadTs,
        text: PLACEHOLDER_TEXT,
      }),
    );
    this.cur.ts = requireTs(res.ts, 'chat.postMessage');
    this.cur.placeholder = true;
    this.posted.push(this.cur.ts);
    this.ctx.onPosted();
    this.lastFlushAt = this.ctx.now();
  }

  private async postNew(content: string): Promise<void> {
    const { text, blocks } = toAnswerBlocks(content);
    const res = await this.ctx.call('chat.postMessage', this.channel, () =>
      this.ctx.client.chat.postMessage({
        channel: this.channel,
        thread_ts: this.target.threadTs,
        text,
        blocks,
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    const ts = requireTs(res.ts, 'chat.postMessage');
    if (this.cur.mode === 'stream') {
      this.cur.mode = 'post';
      this.slot.switchTo('update');
    }
    this.cur.ts = ts;
    this.cur.sent = content;
    this.cur.pending = '';
    this.cur.placeholder = false;
    this.posted.push(ts);
    this.ctx.onPosted();
  }

  private async update(content: string): Promise<void> {
    const ts = this.cur.ts;
    if (ts === undefined) return this.postNew(content);
    const { text, blocks } = toAnswerBlocks(content);
    try {
      await this.ctx.call('chat.update', this.channel, () =>
        this.ctx.client.chat.update({ channel: this.channel, ts, text, blocks }),
      );
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === undefined || !MESSAGE_GONE.has(code)) throw err;
      this.ctx.log.info({ slackError: code }, 'answer message gone; posting it again');
      const at = this.posted.indexOf(ts);
      if (at !== -1) this.posted.splice(at, 1);
      this.cur.ts = undefined;
      return this.postNew(content);
    }
    this.cur.sent = content;
    this.cur.pending = '';
    this.cur.placeholder = false;
  }
}

/** The visible note an answer ends with when it failed or was cut off ('' when neither). */
const noteFor = (answer: string, opts: { error?: string; cutOff?: boolean }): string => {
  const error = opts.error?.replace(/\s+/g, ' ').trim();
  const hasText = answer.trim() !== '';
  if (!error && !opts.cutOff) return hasText ? '' : EMPTY_ANSWER_NOTE;
  // The error says why (userMessageFor names the cause, not "cut off"), so "cut off" is said once.
  const what = opts.cutOff ? `The answer was cut off.${error ? ` ${error}` : ''}` : (error ?? '');
  if (!hasText) return `⚠️ ${what}`;
  // Close an open code block first, or the note would render as code.
  const fence = openFenceAt(answer);
  const close = fence ? `${answer.endsWith('\n') ? '' : '\n'}${fence.closer}` : '';
  return `${close}\n\n> ⚠️ ${what}`;
};
