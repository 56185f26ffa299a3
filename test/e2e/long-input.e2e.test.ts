import { rmSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type Ack, createDriver } from '../../standins/driver/index.js';
import { contentText } from '../../standins/llm/index.js';
import { LONG_SHAPES, type LongShape, longInput } from '../../standins/long-inputs.js';
import { startBot, stopAll } from '../support/processes.js';
import {
  ANSWER_END,
  answerText,
  botReplies,
  e2eEnv,
  emptyWorkDir,
  fileStandins,
  SIGNING_SECRET,
  shownText,
  sleep,
  uniqueId,
  uniquePrefix,
  uniqueQuestion,
} from './helpers.js';

/**
 * Slack-sized messages that defeat a tokenizer's pre-split, sent to the built bot while another
 * user keeps mentioning it. Token counting used to run js-tiktoken's quadratic BPE over the whole
 * run on the event loop: about a minute per message, with acks, /healthz and BullMQ's lock renewal
 * frozen. Now nothing blocks the loop for long, so everyone is served.
 */

/** Slack redelivers an event not acked within 3 s (https://docs.slack.dev/apis/events-api/). */
const ACK_LIMIT_MS = 3000;
const HEALTHZ_LIMIT_MS = 1000;
/** How long to wait for the long messages' answers: seconds now, over a minute each before. */
const ANSWER_WAIT_MS = 20_000;

const { slack, openai } = await fileStandins({ text: answerText });
const workDir = emptyWorkDir();

afterAll(async () => {
  await stopAll();
  rmSync(workDir, { recursive: true, force: true });
});

/** GET /healthz every ~100 ms until stopped; each latency, a request that never answers counted as 5 s. */
const pollHealth = (url: string) => {
  const latencies: number[] = [];
  let polling = true;
  const done = (async () => {
    while (polling) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 5000);
      const started = performance.now();
      try {
        const res = await fetch(`${url}/healthz`, { signal: controller.signal });
        await res.arrayBuffer();
        latencies.push(performance.now() - started);
      } catch {
        latencies.push(5000);
      } finally {
        clearTimeout(timer);
      }
      await sleep(100);
    }
  })();
  return {
    latencies,
    stop: async () => {
      polling = false;
      await done;
    },
  };
};

describe('40,000-character messages with no spaces to split on', () => {
  it('are answered while another user’s mentions are acked in time and /healthz stays quick', {
    timeout: 60_000,
  }, async () => {
    const bot = await startBot({
      env: e2eEnv({ slack, openai, redisUrl: inject('redisUrl'), prefix: uniquePrefix('long') }),
      cwd: workDir,
    });
    // Past 3 s an ack has failed anyway; do not wait 10 s for it.
    const driver = createDriver({ url: bot.url, signingSecret: SIGNING_SECRET, slack, timeoutMs: 4000 });
    const health = pollHealth(bot.url);

    // Another user mentions the bot every 250 ms, whether or not the last one was acked yet.
    const other = uniqueId('U');
    const otherChannel = uniqueId('C');
    const otherAcks: Ack[] = [];
    let mentioning = true;
    const mentions = (async () => {
      const sent: Promise<unknown>[] = [];
      while (mentioning) {
        sent.push(
          driver
            .mention({ channel: otherChannel, user: other, text: uniqueQuestion('meanwhile') })
            .then((m) => otherAcks.push(...m.acks)),
        );
        await sleep(250);
      }
      await Promise.all(sent);
    })();
    await sleep(500);

    const shapes: LongShape[] = ['no-space', 'base64'];
    expect(LONG_SHAPES).toEqual(expect.arrayContaining(shapes));
    const long = await Promise.all(
      shapes.map(async (shape) => {
        const user = uniqueId('U');
        const text = longInput(shape);
        const sent = await driver.dm({ user, text });
        return { shape, text, channel: driver.dmChannel(user), ts: sent.ts, ack: sent.ack };
      }),
    );
    const answered = (l: (typeof long)[number]) =>
      botReplies(slack, l.channel, l.ts).some(
        (m) => shownText(m).includes(ANSWER_END) && (m.stream === undefined || m.stream === 'stopped'),
      );
    const sentAt = Date.now();
    while (!long.every(answered) && Date.now() < sentAt + ANSWER_WAIT_MS) await sleep(200);
    // Mentions go on for a while once the long ones are done, then stop.
    await sleep(Math.max(1000, sentAt + 4000 - Date.now()));
    mentioning = false;
    await sleep(1000);
    await health.stop();
    // A frozen bot would keep the mentions in flight (and its SIGTERM unhandled): end it now.
    await bot.kill('SIGKILL');
    await mentions;

    expect(Math.max(...health.latencies), 'slowest /healthz').toBeLessThan(HEALTHZ_LIMIT_MS);
    expect(health.latencies.length).toBeGreaterThan(20);
    expect(otherAcks.length).toBeGreaterThan(10);
    const slowAcks = otherAcks.filter((a) => a.status !== 200 || a.latencyMs >= ACK_LIMIT_MS);
    expect(slowAcks.map((a) => `${a.status} in ${a.latencyMs.toFixed(0)} ms`)).toEqual([]);
    for (const l of long) {
      expect(l.ack.status, l.shape).toBe(200);
      expect(answered(l), `a visible answer to the ${l.shape} DM`).toBe(true);
      // The model saw the end of the message (a question keeps its end when cut to the budget).
      const seen = openai
        .requests()
        .some((r) => r.messages.some((m) => contentText(m.content).endsWith(l.text.slice(-200))));
      expect(seen, `the ${l.shape} text reached the model`).toBe(true);
    }
    console.info(
      `long-input e2e: ${otherAcks.length} acks of the other user, max ${Math.max(...otherAcks.map((a) => a.latencyMs)).toFixed(0)} ms; ` +
        `${health.latencies.length} /healthz, max ${Math.max(...health.latencies).toFixed(0)} ms`,
    );
  });
});
