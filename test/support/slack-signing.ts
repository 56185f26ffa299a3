import { slackSignature } from './driver.js';

/** Slack's signature headers for a body (see `slackSignature`). */
export const signSlackBody = (secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) => ({
  'x-slack-request-timestamp': String(timestamp),
  'x-slack-signature': slackSignature(secret, timestamp, body),
});
