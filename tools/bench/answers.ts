import { randomBytes } from 'node:crypto';
import { createDriver } from '../../standins/driver/index.js';
import type { RecordedCall } from '../../standins/slack/index.js';
import { type BenchContext, SIGNING_SECRET } from './procs.js';
import { channelOf } from './slack-calls.js';

/**
 * What the foreground sections share (mention.ts, burst.ts, background.ts): mentions sent through
 * the driver, each in its own channel, and canned answers that end in a marker.
 */

/** Every bench answer ends with this, so a complete answer is told from a cut one. */
export const MARKER = 'over-and-out';

const WORDS = (
  'the staging keys rotate through the vault job and the deploy picks them up on the next release ' +
  'so nothing needs a restart unless the service caches credentials at start up in which case'
).split(' ');

/** A plain-prose answer of `n` words ending in MARKER, paragraphs every 30 words. */
export const answerOfWords = (n: number): string => {
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(`${i > 0 && i % 30 === 0 ? '\n\n' : ''}${WORDS[i % WORDS.length]}`);
  return `${words.join(' ')} ${MARKER}`;
};

export const id = (prefix: string) => `${prefix}${randomBytes(4).toString('hex').toUpperCase()}`;

export interface LlmShape {
  ttftMs: number;
  tokensPerSecond: number;
  words: number;
}

export interface MentionSent {
  channel: string;
  user: string;
  ts: string;
  sentAt: number;
}

/** A mention in a channel of its own, by `user` (a new user by default). */
export const mention = async (
  ctx: BenchContext,
  url: string,
  text: string,
  user = id('U'),
): Promise<MentionSent> => {
  const driver = createDriver({ url, signingSecret: SIGNING_SECRET, slack: ctx.slack });
  const channel = id('C');
  const sentAt = Date.now();
  const r = await driver.mention({ channel, user, text });
  if (r.acks.some((a) => a.status !== 200))
    throw new Error(`mention not acked: ${r.acks.map((a) => a.status).join(', ')}`);
  return { channel, user, ts: r.ts, sentAt: Math.min(sentAt, ...r.acks.map((a) => a.at)) };
};

export const callsIn = (calls: RecordedCall[], channel: string) =>
  calls.filter((c) => channelOf(c) === channel);
