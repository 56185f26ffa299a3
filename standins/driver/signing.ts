import { createHmac } from 'node:crypto';

/** `v0=` + HMAC-SHA256 hex of `v0:{timestamp}:{raw body}`: Slack's request signature. */
export const slackSignature = (secret: string, timestamp: number, body: string): string =>
  `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Slack's signature headers for a body (see `slackSignature`). */
export const signSlackBody = (secret: string, body: string, timestamp = nowSeconds()) => ({
  'x-slack-request-timestamp': String(timestamp),
  'x-slack-signature': slackSignature(secret, timestamp, body),
});
