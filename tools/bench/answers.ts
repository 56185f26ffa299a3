import { randomBytes } from 'node:crypto';
import { createDriver } from '../../standins/driver/index.js';
import type { RecordedCall } from '../../standins/slack/index.js';
import { type BenchContext, type Fleet, SIGNING_SECRET } from './procs.js';
import {
  answerTextOf,
  channelOf,
  isFirstSign,
  isWrite,
  type ThreadOutcome,
  waitForThreads,
} from './slack-calls.js';
import { sleep } from './stats.js';

/**
 * Foreground answers to mentions, timed from the Slack stand-in's call records: the first visible
 * sign of work, the first answer text, the Slack writes each answer costs, and ten answers at once
 * with Slack's rate limits on and off.
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

interface MentionSent {
  channel: string;
  user: string;
  ts: string;
  sentAt: number;
}

export const mention = async (ctx: BenchContext, url: string, text: string): Promise<MentionSent> => {
  const driver = createDriver({ url, signingSecret: SIGNING_SECRET, slack: ctx.slack });
  const channel = id('C');
  const user = id('U');
  const sentAt = Date.now();
  const r = await driver.mention({ channel, user, text });
  if (r.acks.some((a) => a.status !== 200))
    throw new Error(`mention not acked: ${r.acks.map((a) => a.status).join(', ')}`);
  return { channel, user, ts: r.ts, sentAt: Math.min(sentAt, ...r.acks.map((a) => a.at)) };
};

const callsIn = (calls: RecordedCall[], channel: string) => calls.filter((c) => channelOf(c) === channel);

export interface SignResult {
  n: number;
  firstSignMs: number[];
  firstTextMs: number[];
  writesPerAnswer: number[];
  readsPerAnswer: number[];
  writesByMethod: Record<string, number>;
  failed: number;
  /** Answers that went out as a native stream (the rest fell back to a posted message). */
  streamed: number;
  /** Mentions per minute, as they came one after the other. */
  perMinute: number;
}

/** Mentions one at a time, each in its own channel, each answered in full before the next. */
export const benchFirstSign = async (
  ctx: BenchContext,
  fleet: Fleet,
  n: number,
  llm: LlmShape,
): Promise<SignResult> => {
  const prefix = 'bench-sign';
  const web = await fleet.startBot('web', 'first sign', prefix);
  ctx.openai.configure({
    ttftMs: llm.ttftMs,
    tokensPerSecond: llm.tokensPerSecond,
    text: answerOfWords(llm.words),
  });
  const sent: MentionSent[] = [];
  const outcomes: ThreadOutcome[] = [];
  try {
    // One unmeasured mention first: the process's first request pays for JIT and connection set-up.
    const warm = await mention(ctx, web.url, 'warm-up question, ignore');
    await waitForThreads(ctx.slack, [warm], MARKER, 30_000);
    const measuredFrom = ctx.slack.calls().length;
    for (let i = 0; i < n; i++) {
      const m = await mention(ctx, web.url, `what rotates the staging keys? (${i})`);
      sent.push(m);
      outcomes.push(...(await waitForThreads(ctx.slack, [m], MARKER, 30_000)));
    }
    // The status is cleared and the Home re-published (coalesced, 1.5 s) after the answer.
    await sleep(2_500);
    const calls = ctx.slack.calls().slice(measuredFrom);
    const firstSignMs: number[] = [];
    const firstTextMs: number[] = [];
    const writesPerAnswer: number[] = [];
    const readsPerAnswer: number[] = [];
    const writesByMethod: Record<string, number> = {};
    let streamed = 0;
    for (const m of sent) {
      const mine = callsIn(calls, m.channel);
      const sign = mine.find(isFirstSign);
      const text = mine.find((c) => answerTextOf(c) !== '');
      if (sign) firstSignMs.push(sign.at - m.sentAt);
      if (text) firstTextMs.push(text.at - m.sentAt - llm.ttftMs);
      if (mine.some((c) => c.method === 'chat.startStream' && c.status === 200)) streamed++;
      const publishes = calls.filter((c) => c.method === 'views.publish' && c.params.user_id === m.user);
      const writes = [...mine.filter((c) => isWrite(c.method)), ...publishes];
      for (const c of writes) writesByMethod[c.method] = (writesByMethod[c.method] ?? 0) + 1;
      writesPerAnswer.push(writes.length);
      readsPerAnswer.push(
        mine.filter((c) => c.method === 'conversations.replies').length +
          calls.filter((c) => c.method === 'users.info' && c.params.user === m.user).length,
      );
    }
    for (const k of Object.keys(writesByMethod)) writesByMethod[k] = (writesByMethod[k] ?? 0) / n;
    return {
      n,
      firstSignMs,
      firstTextMs,
      writesPerAnswer,
      readsPerAnswer,
      writesByMethod,
      failed: outcomes.filter((o) => o !== 'answered').length,
      streamed,
      perMinute:
        sent.length > 1
          ? ((sent.length - 1) * 60_000) / ((sent.at(-1)?.sentAt ?? 0) - (sent[0]?.sentAt ?? 0))
          : 0,
    };
  } finally {
    await fleet.stop(web);
  }
};

export interface BurstResult {
  n: number;
  rateLimited: number;
  rateLimitedByMethod: Record<string, number>;
  latencyMs: number[];
  answered: number;
  failed: number;
  pending: number;
  streamed: number;
}

/**
 * `n` mentions at once, each in its own channel, answered by a fresh web process (so every run
 * starts with the same pacing budgets). Latency: mention sent → the answer's last chat.* write.
 */
export const benchBurst = async (
  ctx: BenchContext,
  fleet: Fleet,
  n: number,
  llm: LlmShape,
  rateLimits: boolean,
): Promise<BurstResult> => {
  const prefix = rateLimits ? 'bench-burst-limited' : 'bench-burst-free';
  const web = await fleet.startBot('web', rateLimits ? 'burst, limits on' : 'burst, limits off', prefix);
  ctx.openai.configure({
    ttftMs: llm.ttftMs,
    tokensPerSecond: llm.tokensPerSecond,
    text: answerOfWords(llm.words),
  });
  try {
    ctx.slack.setRateLimits(rateLimits);
    const callsBefore = ctx.slack.calls().length;
    const sent = await Promise.all(
      Array.from({ length: n }, (_, i) => mention(ctx, web.url, `burst question ${i}: what changed?`)),
    );
    const outcomes = await waitForThreads(ctx.slack, sent, MARKER, 90_000);
    await sleep(500);
    const calls = ctx.slack.calls().slice(callsBefore);
    const limited = calls.filter((c) => c.status === 429);
    const rateLimitedByMethod: Record<string, number> = {};
    for (const c of limited) rateLimitedByMethod[c.method] = (rateLimitedByMethod[c.method] ?? 0) + 1;
    const latencyMs: number[] = [];
    let streamed = 0;
    sent.forEach((m, i) => {
      const writes = callsIn(calls, m.channel).filter(
        (c) => c.method.startsWith('chat.') && c.status === 200 && c.response?.ok === true,
      );
      if (writes.some((c) => c.method === 'chat.startStream')) streamed++;
      const last = writes.at(-1);
      if (last && outcomes[i] === 'answered') latencyMs.push(last.at - m.sentAt);
    });
    return {
      n,
      rateLimited: limited.length,
      rateLimitedByMethod,
      latencyMs,
      answered: outcomes.filter((o) => o === 'answered').length,
      failed: outcomes.filter((o) => o === 'failed').length,
      pending: outcomes.filter((o) => o === 'pending').length,
      streamed,
    };
  } finally {
    ctx.slack.setRateLimits(false);
    await fleet.stop(web);
  }
};
