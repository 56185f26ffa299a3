import { randomBytes } from 'node:crypto';
import type { SharedFileSeed } from '../slack/files.js';
import { newTriggerId, TsClock } from '../slack/ids.js';
import type { SlackApiStandin } from '../slack/index.js';
import type { Ephemeral, StoredView } from '../slack/types.js';
import { type BlockActionOptions, blockActionPayload } from './actions.js';
import { type Ack, type Delivery, deliver, type Request, type SendOptions } from './deliver.js';
import {
  ephemeralClickPayload,
  type FeedbackClickOptions,
  feedbackClickPayload,
  type MessageShortcutOptions,
  messageShortcutPayload,
  viewSubmissionPayload,
} from './interactions.js';
import {
  agentContext,
  channelType,
  commandBody,
  eventEnvelope,
  messageFields,
  newEventId,
  sampleEventBody,
  type ViewingOptions,
} from './payloads.js';
import { nowSeconds } from './signing.js';

export type { BlockActionOptions } from './actions.js';
export { type Ack, type Delivery, type SendOptions, SLACK_ACK_DEADLINE_MS } from './deliver.js';
export type { FeedbackClickOptions, MessageShortcutOptions } from './interactions.js';
export type { ViewingOptions } from './payloads.js';
export { signSlackBody, slackSignature } from './signing.js';

/**
 * Sends the bot what Slack sends it: signed event callbacks, slash commands and interactions on
 * `POST /slack/events`, redeliveries with retry headers, and deliberately bad requests for negative
 * tests. Each answer (the "ack") is recorded with its status, body and latency.
 *
 * Given the Slack stand-in, the driver also writes every user message it sends into the stand-in's
 * store first — in Slack the message exists before the event is delivered — so the bot's
 * `conversations.replies` sees it, and mints `response_url`s and `trigger_id`s there.
 */

export interface DriverOptions {
  /** The bot's base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  signingSecret: string;
  /** Bolt's endpoint for events, commands and actions alike (default `/slack/events`). */
  path?: string;
  /** When given: user messages are seeded there, and response URLs / trigger ids minted there. */
  slack?: SlackApiStandin;
  teamId?: string;
  teamDomain?: string;
  apiAppId?: string;
  botUserId?: string;
  /** Give up on a request after this long (default 10 s); `Ack.late` tells whether Slack would have. */
  timeoutMs?: number;
}

type Twin = 'concurrent' | 'mention-first' | 'message-first' | 'none';

type MessageOptions = {
  channel: string;
  user: string;
  text: string;
  threadTs?: string;
  ts?: string;
  /** Files shared with the message: seeded in the Slack stand-in, sent as a `file_share` event. */
  files?: SharedFileSeed[];
};

export class SlackDriver {
  /** Every ack, in the order the requests were sent. */
  readonly acks: Ack[] = [];
  readonly teamId: string;
  readonly teamDomain: string;
  readonly apiAppId: string;
  readonly botUserId: string;
  private readonly endpoint: string;
  private readonly clock = new TsClock();

  constructor(private readonly opts: DriverOptions) {
    this.endpoint = `${opts.url.replace(/\/$/, '')}${opts.path ?? '/slack/events'}`;
    this.teamId = opts.teamId ?? opts.slack?.teamId ?? 'T0TEAM';
    this.teamDomain = opts.teamDomain ?? opts.slack?.teamDomain ?? 'backchannel-test';
    this.apiAppId = opts.apiAppId ?? opts.slack?.appId ?? 'A0APP';
    this.botUserId = opts.botUserId ?? opts.slack?.botUserId ?? 'U0BOT';
  }

  // ----- events ---------------------------------------------------------------------------

  /**
   * A user mentions the bot: Slack delivers `app_mention` and its `message` twin (same ts, own
   * event_id). `<@bot>` is prepended to the text unless it is already there. By default both are
   * sent at once, as Slack does; `twin` chooses an order or drops the twin.
   */
  async mention(
    o: MessageOptions & { twin?: Twin },
  ): Promise<{ ts: string; threadTs?: string; eventIds: string[]; acks: Ack[]; deliveries: Delivery[] }> {
    const tag = `<@${this.botUserId}>`;
    const text = o.text.includes(tag) ? o.text : `${tag} ${o.text}`;
    const { ts, files } = this.seed({ ...o, text });
    const common = { ...messageFields(this, { ...o, text, ts }), ...files };
    const mention = { type: 'app_mention', ...common };
    const message = { type: 'message', ...common, channel_type: channelType(o.channel) };
    const twin = o.twin ?? 'concurrent';
    let deliveries: Delivery[];
    if (twin === 'none') deliveries = [await this.event(mention)];
    else if (twin === 'concurrent')
      deliveries = await Promise.all([this.event(mention), this.event(message)]);
    else if (twin === 'mention-first') deliveries = [await this.event(mention), await this.event(message)];
    else {
      const m = await this.event(message);
      deliveries = [await this.event(mention), m];
    }
    return {
      ts,
      ...(o.threadTs ? { threadTs: o.threadTs } : {}),
      eventIds: deliveries.map((d) => d.eventId!),
      acks: deliveries.map((d) => d.ack),
      deliveries,
    };
  }

  /** A plain `message` event: a channel message, or a thread reply with `threadTs`. */
  async message(o: MessageOptions): Promise<{ ts: string; eventId: string; ack: Ack; delivery: Delivery }> {
    const { ts, files } = this.seed(o);
    const delivery = await this.event({
      type: 'message',
      ...messageFields(this, { ...o, ts }),
      ...files,
      channel_type: channelType(o.channel),
    });
    return { ts, eventId: delivery.eventId!, ack: delivery.ack, delivery };
  }

  /** A direct message to the bot (`channel_type: 'im'`); the channel defaults to `D` + the user id's tail. */
  dm(
    o: Omit<MessageOptions, 'channel'> & { channel?: string },
  ): Promise<{ ts: string; eventId: string; ack: Ack; delivery: Delivery }> {
    return this.message({ ...o, channel: o.channel ?? this.dmChannel(o.user) });
  }

  /** The DM channel id the driver uses for a user. */
  dmChannel(user: string): string {
    return `D${user.replace(/^[UW]/, '')}`;
  }

  /**
   * The user opens the app's Home tab, or its Messages tab (the Agent messaging experience sends
   * this in place of `assistant_thread_started`; `viewing` adds the context it may carry).
   */
  homeOpened(o: {
    user: string;
    tab?: 'home' | 'messages';
    channel?: string;
    viewing?: ViewingOptions;
  }): Promise<Delivery> {
    const view = o.tab === 'messages' ? undefined : this.opts.slack?.homeView(o.user);
    return this.event({
      type: 'app_home_opened',
      user: o.user,
      channel: o.channel ?? this.dmChannel(o.user),
      tab: o.tab ?? 'home',
      event_ts: this.nextTs(),
      ...(view ? { view } : {}),
      ...(o.viewing ? { context: agentContext(this, o.viewing) } : {}),
    });
  }

  /** `app_context_changed`: with the app open, the user now views `viewing` (nothing, when omitted). */
  contextChanged(o: { user: string; channel?: string; viewing?: ViewingOptions }): Promise<Delivery> {
    return this.event({
      type: 'app_context_changed',
      user: o.user,
      channel: o.channel ?? this.dmChannel(o.user),
      context: agentContext(this, o.viewing),
      event_ts: this.nextTs(),
    });
  }

  /**
   * Someone pressed the stop button of the thread's agent session. As in Slack, the bot's streams
   * in the thread are stopped first (in the Slack stand-in, when there is one) and named in
   * `streaming_message_ts`; `streamingTs` sends other ones instead.
   */
  sessionStopped(o: {
    channel: string;
    threadTs: string;
    user: string;
    streamingTs?: string[];
  }): Promise<Delivery> {
    const streams = o.streamingTs ?? this.opts.slack?.stopSession(o.channel, o.threadTs) ?? [];
    return this.event({
      type: 'agent_session_stopped',
      channel: o.channel,
      user: o.user,
      thread_ts: o.threadTs,
      streaming_message_ts: streams,
      event_ts: this.nextTs(),
    });
  }

  /** Wraps any event in Slack's `event_callback` envelope and sends it signed. */
  event(
    event: Record<string, unknown>,
    opts: { eventId?: string; retryNum?: number; retryReason?: string } = {},
  ): Promise<Delivery> {
    const eventId = opts.eventId ?? newEventId();
    return this.deliver({
      kind: 'event',
      label: String(event.type),
      body: JSON.stringify(eventEnvelope(this, event, eventId)),
      contentType: 'application/json',
      eventId,
      ...(opts.retryNum !== undefined ? { retryNum: opts.retryNum, retryReason: opts.retryReason } : {}),
    });
  }

  /**
   * Sends a delivery again as Slack's retry would: same body, fresh signature, and
   * `X-Slack-Retry-Num` / `X-Slack-Retry-Reason` headers.
   */
  redeliver(d: Delivery, opts: { retryNum?: number; reason?: string } = {}): Promise<Delivery> {
    return this.deliver({
      kind: d.kind,
      label: d.label,
      body: d.body,
      contentType: d.contentType,
      ...(d.eventId ? { eventId: d.eventId } : {}),
      retryNum: opts.retryNum ?? 1,
      retryReason: opts.reason ?? 'http_timeout',
    });
  }

  /** Slack's endpoint check when the Request URL is saved. */
  urlVerification(challenge = randomBytes(16).toString('hex')): Promise<Delivery> {
    return this.deliver({
      kind: 'url_verification',
      label: 'url_verification',
      body: JSON.stringify({ token: 'legacy-verification-token', challenge, type: 'url_verification' }),
      contentType: 'application/json',
    });
  }

  // ----- commands and interactions ----------------------------------------------------------

  /** A slash command (default `/ask`), form-encoded, with a response_url into the Slack stand-in. */
  async command(o: {
    text: string;
    user: string;
    channel: string;
    command?: string;
    userName?: string;
    channelName?: string;
  }): Promise<{ ack: Ack; delivery: Delivery; responseUrl: string; responseId?: string; triggerId: string }> {
    const minted = this.opts.slack?.mintResponseUrl({ channel: o.channel, user: o.user });
    const responseUrl =
      minted?.url ?? `https://hooks.slack.com/commands/${this.teamId}/0/${randomBytes(8).toString('hex')}`;
    const triggerId = this.triggerId();
    const command = o.command ?? '/ask';
    const delivery = await this.deliver({
      kind: 'command',
      label: command,
      body: commandBody(this, { ...o, command, responseUrl, triggerId }),
      contentType: 'application/x-www-form-urlencoded',
    });
    return {
      ack: delivery.ack,
      delivery,
      responseUrl,
      ...(minted ? { responseId: minted.id } : {}),
      triggerId,
    };
  }

  /**
   * A button click (`block_actions`), as the `payload` form field. On a message by default (the
   * message is looked up in the Slack stand-in when there is one), or on the Home tab with
   * `container: 'view'`.
   */
  async blockAction(o: BlockActionOptions) {
    return this.interact(o.actionId, (ids) => blockActionPayload(this, this.opts.slack, o, ids));
  }

  /**
   * A click on the 👍 or 👎 under a message the Slack stand-in holds: Slack's `block_actions` with a
   * `feedback_buttons` action carrying that button's value (or `value`, for a forged click).
   */
  feedback(o: FeedbackClickOptions) {
    const slack = this.requireSlack('feedback');
    return this.interact(o.actionId ?? 'feedback_buttons', (ids) => ({
      payload: feedbackClickPayload(this, slack, o, ids),
    }));
  }

  /** A click on the button `actionId` in an ephemeral message, by the user it was shown to. */
  ephemeralAction(e: Ephemeral, actionId: string) {
    const slack = this.requireSlack('ephemeralAction');
    return this.interact(actionId, (ids) => ephemeralClickPayload(this, slack, e, actionId, ids));
  }

  /**
   * `user` uses a message shortcut on a message the stand-in holds (`message_action`, with a fresh
   * trigger that views.open takes within 3 s, and a response_url); resolves with them and the ack.
   */
  messageShortcut(o: MessageShortcutOptions) {
    const slack = this.requireSlack('messageShortcut');
    return this.interact(o.callbackId, (ids) => messageShortcutPayload(this, slack, o, ids));
  }

  /** `user` submits a modal the stand-in stored, with `values` typed in (by block id, then action id). */
  submitView(o: { user: string; view: StoredView; values: Record<string, Record<string, string>> }) {
    return this.interact(String(o.view.callback_id ?? 'view_submission'), ({ triggerId }) => ({
      payload: viewSubmissionPayload(this, { ...o, triggerId }),
    }));
  }

  // ----- negative tests ---------------------------------------------------------------------

  /** Sends any body; signed with the driver's secret unless `sign` says otherwise. */
  async send(body: string, opts: SendOptions = {}): Promise<Ack> {
    const d = await this.deliver({
      kind: 'raw',
      label: 'raw',
      body,
      contentType: opts.contentType ?? 'application/json',
      ...(opts.sign !== undefined ? { sign: opts.sign } : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
    return d.ack;
  }

  /** A valid event body with no signature headers. */
  unsigned(body = this.sampleEventBody()): Promise<Ack> {
    return this.send(body, { sign: false });
  }

  /** Correctly signed, but with a timestamp older than Bolt's 5-minute window. */
  stale(body = this.sampleEventBody(), ageSeconds = 600): Promise<Ack> {
    return this.send(body, { sign: { timestamp: nowSeconds() - ageSeconds } });
  }

  /** Signed with the wrong secret. */
  badSignature(body = this.sampleEventBody()): Promise<Ack> {
    return this.send(body, { sign: { secret: `${this.opts.signingSecret}-wrong` } });
  }

  /** Correctly signed JSON that does not parse. */
  malformed(): Promise<Ack> {
    return this.send('{"type":"event_callback","event":{"type":"app_mention",');
  }

  /** A correctly signed event whose body is `bytes` long (message text padded out). */
  oversized(bytes = 2 * 1024 * 1024): Promise<Ack> {
    const body = this.sampleEventBody('');
    const padding = 'x'.repeat(Math.max(0, bytes - body.length));
    return this.send(this.sampleEventBody(padding));
  }

  // ----- internals --------------------------------------------------------------------------

  /** Writes a user's message into the Slack stand-in (when there is one) and returns its ts. */
  /** Seeds the message; with files, the event's `subtype` and `files` as Slack sends them. */
  private seed(o: MessageOptions): {
    ts: string;
    files: { subtype?: 'file_share'; files?: Record<string, unknown>[]; upload?: boolean };
  } {
    const ts = o.ts ?? this.nextTs();
    // A driver for another workspace of the stand-in (OAuth) seeds its messages there.
    const { slack, teamId } = this.opts;
    const where = slack && teamId && teamId !== slack.teamId ? slack.team(teamId) : slack;
    const stored = where?.addMessage({
      channel: o.channel,
      ts,
      user: o.user,
      text: o.text,
      ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
      ...(o.files?.length ? { files: o.files } : {}),
    });
    const files = stored?.files;
    return { ts, files: files?.length ? { subtype: 'file_share', files, upload: false } : {} };
  }

  private nextTs(): string {
    return this.opts.slack?.nextTs() ?? this.clock.next();
  }

  /**
   * An interaction built for a fresh trigger_id and action ts, sent as the `payload` form field
   * Slack posts; resolves with the ack and whatever else the builder returned (a response_url).
   */
  private async interact<R extends { payload: Record<string, unknown> }>(
    label: string,
    build: (ids: { triggerId: string; actionTs: string }) => R,
  ): Promise<Omit<R, 'payload'> & { ack: Ack; delivery: Delivery; triggerId: string }> {
    const triggerId = this.triggerId();
    const { payload, ...rest } = build({ triggerId, actionTs: this.nextTs() });
    const delivery = await this.deliver({
      kind: 'action',
      label,
      body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      contentType: 'application/x-www-form-urlencoded',
    });
    return { ...rest, ack: delivery.ack, delivery, triggerId };
  }

  private requireSlack(what: string): SlackApiStandin {
    if (!this.opts.slack)
      throw new Error(`driver.${what} needs the Slack stand-in (its stored messages and views)`);
    return this.opts.slack;
  }

  private triggerId(): string {
    return this.opts.slack?.mintTriggerId() ?? newTriggerId();
  }

  private sampleEventBody(text = 'hello'): string {
    return sampleEventBody(this, text, this.nextTs());
  }

  private async deliver(r: Request): Promise<Delivery> {
    const delivery = await deliver(this.endpoint, r, {
      signingSecret: this.opts.signingSecret,
      timeoutMs: this.opts.timeoutMs ?? 10_000,
    });
    this.acks.push(delivery.ack);
    return delivery;
  }
}

export const createDriver = (opts: DriverOptions): SlackDriver => new SlackDriver(opts);
