import { signSlackBody } from './signing.js';

/** Posting one request to the bot as Slack does, and recording its answer (the "ack"). */

/** Slack gives up on an ack after 3 s and counts the delivery as failed (Slack's Events API docs). */
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

export interface SendOptions {
  /** Sign the body (default), sign with other values, or send it unsigned. */
  sign?: false | { secret?: string; timestamp?: number; signature?: string };
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Request {
  kind: Ack['kind'];
  label: string;
  body: string;
  contentType: string;
  eventId?: string;
  retryNum?: number;
  retryReason?: string | undefined;
  sign?: SendOptions['sign'];
  headers?: Record<string, string>;
}

const headersFor = (r: Request, signingSecret: string): Record<string, string> => {
  const headers: Record<string, string> = {
    'content-type': r.contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...r.headers,
  };
  if (r.sign !== false) {
    const signed = signSlackBody(r.sign?.secret ?? signingSecret, r.body, r.sign?.timestamp);
    Object.assign(headers, signed);
    if (r.sign?.signature) headers['x-slack-signature'] = r.sign.signature;
  }
  if (r.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(r.retryNum);
    headers['x-slack-retry-reason'] = r.retryReason ?? 'http_timeout';
  }
  return headers;
};

/** POSTs the request and returns the delivery with its ack; a timeout or a refused connection is an ack with status 0. */
export const deliver = async (
  endpoint: string,
  r: Request,
  opts: { signingSecret: string; timeoutMs: number },
): Promise<Delivery> => {
  const at = Date.now();
  const started = performance.now();
  const controller = new AbortController();
  // A plain timer: a deadline built from AbortSignal.timeout has been seen never to fire in a
  // long-running Node 20 process.
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  const base = {
    kind: r.kind,
    label: r.label,
    at,
    ...(r.eventId ? { eventId: r.eventId } : {}),
    ...(r.retryNum !== undefined ? { retryNum: r.retryNum } : {}),
  };
  const timing = () => {
    const latencyMs = performance.now() - started;
    return { latencyMs, late: latencyMs > SLACK_ACK_DEADLINE_MS };
  };
  let ack: Ack;
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: headersFor(r, opts.signingSecret),
      body: r.body,
      signal: controller.signal,
    });
    const text = await res.text();
    ack = { ...base, status: res.status, body: text, headers: Object.fromEntries(res.headers), ...timing() };
  } catch (err) {
    const error = controller.signal.aborted
      ? 'timeout'
      : err instanceof Error
        ? ((err.cause as Error | undefined)?.message ?? err.message)
        : String(err);
    ack = { ...base, status: 0, body: '', headers: {}, ...timing(), error };
  } finally {
    clearTimeout(timer);
  }
  return {
    body: r.body,
    contentType: r.contentType,
    label: r.label,
    kind: r.kind,
    ...(r.eventId ? { eventId: r.eventId } : {}),
    ack,
  };
};
