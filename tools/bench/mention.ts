import { answerOfWords, callsIn, type LlmShape, MARKER, type MentionSent, mention } from './answers.js';
import type { BenchContext, Fleet } from './procs.js';
import { perMethod, type Section } from './section.js';
import {
  answerTextOf,
  isFirstSign,
  isWrite,
  type ThreadOutcome,
  WRITE_METHODS_NOTE,
  waitForThreads,
} from './slack-calls.js';
import { max, mean, num, sleep, spread } from './stats.js';

/**
 * Mentions answered one at a time, timed from the Slack stand-in's call records: the first visible
 * sign of work, the first answer text, and the Slack writes and reads each answer costs.
 */

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
  const prefix = '{bench-sign}';
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

const signLlm: LlmShape = { ttftMs: 300, tokensPerSecond: 60, words: 60 };

export const mentionSection: Section = {
  key: 'mention',
  name: 'Mention → answer',
  run: async ({ ctx, fleet, opts }) => {
    const r = await benchFirstSign(ctx, fleet, opts.mentions, signLlm);
    return [
      {
        section: 'Mention → answer',
        figure: 'mention → first visible sign, p50 / p99 / max',
        value: spread(r.firstSignMs),
        how: `${r.n} top-level mentions one at a time; first setStatus / placeholder / startStream, by the stand-in's call time`,
      },
      {
        section: 'Mention → answer',
        figure: 'mention → first answer text, minus TTFT, p50 / p99 / max',
        value: spread(r.firstTextMs),
        how: `LLM stand-in TTFT ${signLlm.ttftMs} ms subtracted; ${signLlm.tokensPerSecond} tokens/s, ${signLlm.words} words; ${r.streamed} of ${r.n} natively streamed, the rest posted (mentions came at ${num(r.perMinute)}/min)`,
      },
      {
        section: 'Mention → answer',
        figure: 'Slack writes per answer',
        value: `${num(mean(r.writesPerAnswer), 1)} (max ${max(r.writesPerAnswer)})`,
        how: `${WRITE_METHODS_NOTE}: ${perMethod(r.writesByMethod, 1)}`,
      },
      {
        section: 'Mention → answer',
        figure: 'Slack reads per answer',
        value: num(mean(r.readsPerAnswer), 1),
        how: `conversations.replies + users.info; ${r.failed} of ${r.n} answers incomplete`,
      },
    ];
  },
};
