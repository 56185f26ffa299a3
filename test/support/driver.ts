import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { SlackApiStandin } from './standins/slack-api.js';

/**
 * Sends the bot what Slack sends it: signed event callbacks, slash commands and interactions on
 * `POST /slack/events`, redeliveries with retry headers, and deliberately bad requests for negative
 * tests. Each answer (the "ack") is recorded with its status, body and latency.
 *
 * Given the Slack stand-in, the driver also writes every user message it sends into the stand-in's
 * store first — in Slack the message exists before the event is delivered — so the bot's
 * `conversations.replies` sees it, and mints `response_url`s and `trigger_id`s there.
 */

/** Slack gives up on an ack after 3 s and counts the delivery as failed (PLATFORM-FACTS.md). */
export const SLACK_ACK_DEADLINE_MS = 3000;

export interface Ack {
  kind: 'event' | 'command' | 'action' | 'url_verification' | 'raw';
  /** Event type, command or action id. */
  label: string;
  /** HTTP status; 0 when no answer came (timeout or connection error, see `error`). */
  status: number;
  body: string;
  headers: Record<string, string>;
  latencyMs: number;
  /** Answered after Slack's 3 s deadline: Slack would have redelivered. */
  late: boolean;
  error?: string;
  eventId?: string;
  retryNum?: number;
  /** Date.now() when the request was sent. */
  at: number;
}

/** A request the driver sent, kept so it can be redelivered byte for byte. */
export interface Delivery {
  body: string;
  contentType: string;
  label: string;
  kind: Ack['kind'];
  eventId?: string;
  ack: Ack;
}

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

export interface SendOptions {
  /** Sign the body (default), sign with other values, or send it unsigned. */
  sign?: false | { secret?: string; timestamp?: number; signature?: string };
  contentType?: string;
  headers?: Record<string, string>;
}

type Twin = 'concurrent' | 'mention-first' | 'message-first' | 'none';

/** `v0=` + HMAC-SHA256 hex of `v0:{timestamp}:{raw body}`: Slack's request signature. */
export const slackSignature = (secret: string, timestamp: number, body: string): string =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

const nowSeconds = () => Math.floor(Date.now() / 1000);

const channelType = (channel: string): 'im' | 'mpim' | 'group' | 'channel' =>
  channel.startsWith('D') ? 'im' : channel.startsWith('G') ? 'group' : 'channel';

/** Slack's rich_text rendering of a plain message, `<@U…>` mentions as user elements. */
const richText = (text: string): unknown[] => {
  const elements: unknown[] = [];
  for (const part of text.split(/(<@[A-Z0-9]+>)/)) {
    const user = /^<@([A-Z0-9]+)>$/.exec(part)?.[1];
    if (user) elements.push({ type: 'user', user_id: user });
    else if (part) elements.push({ type: 'text', text: part });
  }
  return [
    {
      type: 'rich_text',
      block_id: randomBytes(3).toString('base64url'),
      elements: [{ type: 'rich_text_section', elements }],
    },
  ];
};

export class SlackDriver {
  /** Every ack, in the order the requests were sent. */
  readonly acks: Ack[] = [];
  readonly teamId: string;
  readonly teamDomain: string;
  readonly apiAppId: string;
  readonly botUserId: string;
  private readonly endpoint: string;
  private lastTsMicros = 0;

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
  async mention(o: {
    channel: string;
    user: string;
    text: string;
    threadTs?: string;
    ts?: string;
    twin?: Twin;
  }): Promise<{ ts: string; threadTs?: string; eventIds: string[]; acks: Ack[]; deliveries: Delivery[] }> {
    const tag = `<@${this.botUserId}>`;
    const text = o.text.includes(tag) ? o.text : `${tag} ${o.text}`;
    const ts = this.seed({ ...o, text });
    const common = {
      user: o.user,
      text,
      ts,
      event_ts: ts,
      channel: o.channel,
      team: this.teamId,
      client_msg_id: randomUUID(),
      blocks: richText(text),
      ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
    };
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
  async message(o: {
    channel: string;
    user: string;
    text: string;
    threadTs?: string;
    ts?: string;
  }): Promise<{ ts: string; eventId: string; ack: Ack; delivery: Delivery }> {
    const ts = this.seed(o);
    const delivery = await this.event({
      type: 'message',
      user: o.user,
      text: o.text,
      ts,
      event_ts: ts,
      channel: o.channel,
      channel_type: channelType(o.channel),
      team: this.teamId,
      client_msg_id: randomUUID(),
      blocks: richText(o.text),
      ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
    });
    return { ts, eventId: delivery.eventId!, ack: delivery.ack, delivery };
  }

  /** A direct message to the bot (`channel_type: 'im'`); the channel defaults to `D` + the user id's tail. */
  dm(o: {
    user: string;
    text: string;
    channel?: string;
    threadTs?: string;
    ts?: string;
  }): Promise<{ ts: string; eventId: string; ack: Ack; delivery: Delivery }> {
    return this.message({ ...o, channel: o.channel ?? this.dmChannel(o.user) });
  }

  /** The DM channel id the driver uses for a user. */
  dmChannel(user: string): string {
    return `D${user.replace(/^[UW]/, '')}`;
  }

  /** The user opens the app's Home tab (or its Messages tab). */
  homeOpened(o: { user: string; tab?: 'home' | 'messages'; channel?: string }): Promise<Delivery> {
    const view = o.tab === 'messages' ? undefined : this.opts.slack?.homeView(o.user);
    return this.event({
      type: 'app_home_opened',
      user: o.user,
      channel: o.channel ?? this.dmChannel(o.user),
      tab: o.tab ?? 'home',
      event_ts: this.nextTs(),
      ...(view ? { view } : {}),
    });
  }

  /** Wraps any event in Slack's `event_callback` envelope and sends it signed. */
  event(
    event: Record<string, unknown>,
    opts: { eventId?: string; retryNum?: number; retryReason?: string } = {},
  ): Promise<Delivery> {
    const eventId = opts.eventId ?? `Ev${randomBytes(6).toString('hex').toUpperCase()}`;
    const envelope = {
      token: 'legacy-verification-token',
      team_id: this.teamId,
      context_team_id: this.teamId,
      context_enterprise_id: null,
      api_app_id: this.apiAppId,
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: nowSeconds(),
      authorizations: [
        {
          enterprise_id: null,
          team_id: this.teamId,
          user_id: this.botUserId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
      event_context: `4-${randomBytes(12).toString('base64url')}`,
    };
    return this.deliver({
      kind: 'event',
      label: String(event.type),
      body: JSON.stringify(envelope),
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
    const body = new URLSearchParams({
      token: 'legacy-verification-token',
      team_id: this.teamId,
      team_domain: this.teamDomain,
      channel_id: o.channel,
      channel_name: o.channelName ?? (o.channel.startsWith('D') ? 'directmessage' : o.channel.toLowerCase()),
      user_id: o.user,
      user_name: o.userName ?? `user-${o.user.toLowerCase()}`,
      command,
      text: o.text,
      api_app_id: this.apiAppId,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: triggerId,
    }).toString();
    const delivery = await this.deliver({
      kind: 'command',
      label: command,
      body,
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
  async blockAction(o: {
    user: string;
    actionId: string;
    value?: string;
    blockId?: string;
    label?: string;
    container?: 'message' | 'view';
    channel?: string;
    messageTs?: string;
    threadTs?: string;
    viewId?: string;
  }): Promise<{ ack: Ack; delivery: Delivery; responseUrl?: string; triggerId: string }> {
    const triggerId = this.triggerId();
    const action = {
      action_id: o.actionId,
      block_id: o.blockId ?? randomBytes(3).toString('base64url'),
      text: { type: 'plain_text', text: o.label ?? o.actionId, emoji: true },
      ...(o.value !== undefined ? { value: o.value } : {}),
      type: 'button',
      action_ts: this.nextTs(),
    };
    const base = {
      type: 'block_actions',
      user: {
        id: o.user,
        username: `user-${o.user.toLowerCase()}`,
        name: `user-${o.user.toLowerCase()}`,
        team_id: this.teamId,
      },
      api_app_id: this.apiAppId,
      token: 'legacy-verification-token',
      trigger_id: triggerId,
      team: { id: this.teamId, domain: this.teamDomain },
      enterprise: null,
      is_enterprise_install: false,
      state: { values: {} },
      actions: [action],
    };
    let payload: Record<string, unknown>;
    let responseUrl: string | undefined;
    if (o.container === 'view') {
      const view = this.opts.slack?.homeView(o.user);
      const viewId = o.viewId ?? view?.id ?? 'V0HOME';
      payload = {
        ...base,
        container: { type: 'view', view_id: viewId },
        view: view ?? { id: viewId, type: 'home', blocks: [] },
      };
    } else {
      if (!o.channel || !o.messageTs) throw new Error('blockAction on a message needs channel and messageTs');
      const stored = this.opts.slack?.message(o.channel, o.messageTs);
      const {
        channel: _c,
        stream: _s,
        ...message
      } = stored ?? { channel: '', type: 'message', ts: o.messageTs, text: '' };
      responseUrl =
        this.opts.slack?.mintResponseUrl({ channel: o.channel, user: o.user }).url ??
        `https://hooks.slack.com/actions/${this.teamId}/0/${randomBytes(8).toString('hex')}`;
      const threadTs = o.threadTs ?? (stored?.thread_ts !== stored?.ts ? stored?.thread_ts : undefined);
      payload = {
        ...base,
        container: {
          type: 'message',
          message_ts: o.messageTs,
          channel_id: o.channel,
          is_ephemeral: false,
          ...(threadTs ? { thread_ts: threadTs } : {}),
        },
        channel: { id: o.channel, name: o.channel.toLowerCase() },
        message,
        response_url: responseUrl,
      };
    }
    const delivery = await this.deliver({
      kind: 'action',
      label: o.actionId,
      body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      contentType: 'application/x-www-form-urlencoded',
    });
    return { ack: delivery.ack, delivery, ...(responseUrl ? { responseUrl } : {}), triggerId };
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
  private seed(o: { channel: string; user: string; text: string; threadTs?: string; ts?: string }): string {
    const ts = o.ts ?? this.nextTs();
    this.opts.slack?.addMessage({
      channel: o.channel,
      ts,
      user: o.user,
      text: o.text,
      ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
    });
    return ts;
  }

  private nextTs(): string {
    if (this.opts.slack) return this.opts.slack.nextTs();
    const micros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private triggerId(): string {
    return (
      this.opts.slack?.mintTriggerId() ??
      `${Date.now()}.${Math.floor(Math.random() * 1e10)}.${randomBytes(16).toString('hex')}`
    );
  }

  private sampleEventBody(text = 'hello'): string {
    return JSON.stringify({
      token: 'legacy-verification-token',
      team_id: this.teamId,
      api_app_id: this.apiAppId,
      type: 'event_callback',
      event_id: `Ev${randomBytes(6).toString('hex').toUpperCase()}`,
      event_time: nowSeconds(),
      event: {
        type: 'message',
        channel: 'C0NEGATIVE',
        channel_type: 'channel',
        user: 'U0NEGATIVE',
        text,
        ts: this.nextTs(),
      },
      authorizations: [{ team_id: this.teamId, user_id: this.botUserId, is_bot: true }],
    });
  }

  private async deliver(r: {
    kind: Ack['kind'];
    label: string;
    body: string;
    contentType: string;
    eventId?: string;
    retryNum?: number;
    retryReason?: string | undefined;
    sign?: SendOptions['sign'];
    headers?: Record<string, string>;
  }): Promise<Delivery> {
    const headers: Record<string, string> = {
      'content-type': r.contentType,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...r.headers,
    };
    if (r.sign !== false) {
      const timestamp = r.sign?.timestamp ?? nowSeconds();
      headers['x-slack-request-timestamp'] = String(timestamp);
      headers['x-slack-signature'] =
        r.sign?.signature ?? slackSignature(r.sign?.secret ?? this.opts.signingSecret, timestamp, r.body);
    }
    if (r.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(r.retryNum);
      headers['x-slack-retry-reason'] = r.retryReason ?? 'http_timeout';
    }
    const at = Date.now();
    const started = performance.now();
    const controller = new AbortController();
    // A plain timer rather than AbortSignal.timeout (see PLATFORM-FACTS.md, Node 20).
    const timer = setTimeout(() => controller.abort(), this.opts.timeoutMs ?? 10_000);
    let ack: Ack;
    const base = {
      kind: r.kind,
      label: r.label,
      at,
      ...(r.eventId ? { eventId: r.eventId } : {}),
      ...(r.retryNum !== undefined ? { retryNum: r.retryNum } : {}),
    };
    try {
      const res = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: r.body,
        signal: controller.signal,
      });
      const text = await res.text();
      const latencyMs = performance.now() - started;
      ack = {
        ...base,
        status: res.status,
        body: text,
        headers: Object.fromEntries(res.headers),
        latencyMs,
        late: latencyMs > SLACK_ACK_DEADLINE_MS,
      };
    } catch (err) {
      const latencyMs = performance.now() - started;
      ack = {
        ...base,
        status: 0,
        body: '',
        headers: {},
        latencyMs,
        late: latencyMs > SLACK_ACK_DEADLINE_MS,
        error: controller.signal.aborted
          ? 'timeout'
          : err instanceof Error
            ? ((err.cause as Error | undefined)?.message ?? err.message)
            : String(err),
      };
    } finally {
      clearTimeout(timer);
    }
    this.acks.push(ack);
    return {
      body: r.body,
      contentType: r.contentType,
      label: r.label,
      kind: r.kind,
      ...(r.eventId ? { eventId: r.eventId } : {}),
      ack,
    };
  }
}

export const createDriver = (opts: DriverOptions): SlackDriver => new SlackDriver(opts);
