import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OtlpStandin, type ReceivedSpan, startOtlp } from '../../standins/otlp/index.js';
import { type BotProcess, waitFor } from '../support/processes.js';
import {
  answerText,
  completeAnswers,
  deploy,
  fileStandins,
  requestIdOf,
  sleep,
  uniqueId,
  uniqueQuestion,
} from './helpers.js';

/**
 * Traces through the built bot: a web and a worker process exporting OTLP/HTTP to a collector
 * stand-in. One `later` mention is one trace, from the Slack request at the web process's edge
 * through the queue to the worker's job, its LLM call and its Slack writes; the request's log
 * lines and record carry its trace id. Without an endpoint, nothing is traced or exported.
 */
const { slack, openai } = await fileStandins({ text: answerText });
let otlp: OtlpStandin;
let redis: Redis;

beforeAll(async () => {
  otlp = await startOtlp();
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis?.quit();
  await otlp?.close();
});

/** A web and a worker process on their own key prefix, with the `otel` settings. */
const deployWith = (name: string, otel: Record<string, string>) =>
  deploy({ slack, openai, redisUrl: inject('redisUrl'), name, extra: otel });

/** Sends `later <question>` as a new mention and waits for its whole answer in the thread. */
const askLater = async (d: Awaited<ReturnType<typeof deploy>>, topic: string) => {
  const channel = uniqueId('C');
  const question = uniqueQuestion(topic);
  const { ts } = await d.driver.mention({ channel, user: uniqueId('U'), text: `later ${question}` });
  await slack.waitFor(() => completeAnswers(slack, channel, ts, question)[0], 30_000, 'the answer');
  const requestId = requestIdOf(slack, channel, ts);
  // The worker logs the answer's end just after its last write.
  await d.worker.waitForLog((l) => l.fields.requestId === requestId, 10_000);
  return { channel, ts, requestId };
};

const roleOf = (s: ReceivedSpan) => s.resource['backchannel.role'];
const linesAbout = (bot: BotProcess, requestId: string) =>
  bot.logs().filter((l) => l.fields.requestId === requestId);

describe('traces across processes', () => {
  it('follows a `later` mention from the web edge through the queue to the worker’s LLM call and Slack writes, and a foreground one in the web process', {
    timeout: 60_000,
  }, async () => {
    const service = `bc-traced-${uniqueId('U')}`;
    const d = await deployWith('traced', {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_SERVICE_NAME: service,
      // Batches leave every 100 ms instead of 5 s, so the test waits less.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    const { requestId } = await askLater(d, 'a traced question');

    // The request record names its trace.
    const traceId = await redis.hget(d.keys.request(requestId), 'traceId');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const ours = () =>
      otlp.spans().filter((s) => s.traceId === traceId && s.resource['service.name'] === service);
    // The worker's spans of the answer: its job, the LLM call and the answer (its queued note
    // edited in place).
    const inTrace = await otlp.waitFor(
      () => {
        const spans = ours();
        const worker = spans.filter((s) => roleOf(s) === 'worker');
        const done =
          worker.some((s) => s.name === 'process answers') &&
          worker.some((s) => s.name.startsWith('chat ')) &&
          worker.some((s) => s.name === 'slack.chat.update');
        return done && spans;
      },
      20_000,
      'the worker’s spans in the request’s trace',
    );
    // BullMQ names its spans `<operation> <queue>[.<job name>]`.
    const named = (name: string, role: string) =>
      inTrace.filter((s) => (s.name === name || s.name.startsWith(`${name}.`)) && roleOf(s) === role);

    // The web process: the Slack request is the root; intake, routing and the queue hop follow.
    const [root] = named('slack app_mention', 'web');
    expect(root?.parentSpanId).toBeUndefined();
    expect(root?.kind).toBe(2);
    const [intakeJob] = named('process intake', 'web');
    expect(named('add intake', 'web')[0]?.spanId).toBe(intakeJob?.parentSpanId);
    const [route] = named('route', 'web');
    expect(route?.attributes).toMatchObject({
      'backchannel.route.path': 'background',
      'backchannel.route.reason': 'later',
    });
    const [enqueued] = named('add answers', 'web');
    expect(enqueued?.kind).toBe(4);

    // The worker process: its job span is the child of the web's enqueue, and holds the LLM call
    // and the Slack writes of the answer.
    const [job] = named('process answers', 'worker');
    expect(job?.kind).toBe(5);
    expect(job?.parentSpanId).toBe(enqueued?.spanId);
    const descendsFromJob = (s: ReceivedSpan): boolean => {
      for (let at: ReceivedSpan | undefined = s; at; ) {
        if (at.spanId === job?.spanId) return true;
        at = inTrace.find((p) => p.spanId === at?.parentSpanId);
      }
      return false;
    };
    const llm = inTrace.filter((s) => roleOf(s) === 'worker' && s.name.startsWith('chat '));
    expect(llm).toHaveLength(1);
    expect(llm[0]?.attributes['gen_ai.request.model']).toBeTypeOf('string');
    expect(llm.every(descendsFromJob)).toBe(true);
    const writes = inTrace.filter((s) => roleOf(s) === 'worker' && s.name.startsWith('slack.'));
    expect(writes.map((s) => s.name)).toEqual(
      expect.arrayContaining(['slack.chat.update', 'slack.reactions.add']),
    );
    expect(writes.every(descendsFromJob)).toBe(true);
    // Two processes, one trace: both sent spans of it, and their pids differ.
    const pids = new Set(inTrace.map((s) => s.resource['process.pid']));
    expect(pids).toEqual(new Set([d.web.pid, d.worker.pid]));

    // Log lines about the request carry its trace id, in both processes.
    for (const bot of [d.web, d.worker]) {
      const lines = linesAbout(bot, requestId);
      expect(lines.length, `${bot.role} logged about the request`).toBeGreaterThan(0);
      expect(lines.map((l) => l.fields.traceId)).toEqual(lines.map(() => traceId));
    }
    const accepted = d.web
      .logs()
      .find((l) => l.msg === 'request accepted' && l.fields.requestId === requestId);
    expect(accepted?.fields.spanId).toMatch(/^[0-9a-f]{16}$/);

    // A foreground answer: the same web process streams it, in the request's own trace.
    const channel = uniqueId('C');
    const question = uniqueQuestion('a foreground question');
    const asked = await d.driver.mention({ channel, user: uniqueId('U'), text: question });
    await slack.waitFor(() => completeAnswers(slack, channel, asked.ts, question)[0], 30_000, 'the answer');
    const fgTrace = await waitFor(
      () => redis.hget(d.keys.request(requestIdOf(slack, channel, asked.ts)), 'traceId'),
      { timeoutMs: 10_000, what: 'the foreground record' },
    );
    const fg = await otlp.waitFor(
      () => {
        const spans = otlp.spans().filter((s) => s.traceId === fgTrace);
        const answering = spans.find((s) => s.name === 'answer foreground');
        const under = spans.filter((s) => s.parentSpanId === answering?.spanId);
        return (
          under.some((s) => s.name.startsWith('chat ')) &&
          under.some((s) => s.name.startsWith('slack.chat.')) &&
          spans
        );
      },
      20_000,
      'the foreground answer’s spans',
    );
    expect(new Set(fg.map(roleOf))).toEqual(new Set(['web']));
    expect(fg.find((s) => s.name === 'route')?.attributes['backchannel.route.path']).toBe('foreground');
    expect(fg.filter((s) => s.parentSpanId === undefined).map((s) => s.name)).toEqual(['slack app_mention']);
  });

  it('exports nothing and stamps no trace id when no endpoint is set', { timeout: 60_000 }, async () => {
    const service = `bc-untraced-${uniqueId('U')}`;
    // The other OTEL_* settings alone start nothing.
    const d = await deployWith('untraced', { OTEL_SERVICE_NAME: service, OTEL_BSP_SCHEDULE_DELAY: '100' });
    const { requestId } = await askLater(d, 'an untraced question');

    expect(await redis.hget(d.keys.request(requestId), 'traceId')).toBeNull();
    for (const bot of [d.web, d.worker]) {
      expect(linesAbout(bot, requestId).length).toBeGreaterThan(0);
      expect(bot.logs().filter((l) => 'traceId' in l.fields || 'spanId' in l.fields)).toEqual([]);
      expect(bot.logs().some((l) => l.msg === 'exporting traces over OTLP')).toBe(false);
    }
    // Well past a batch's delay: still nothing from this deployment.
    await sleep(500);
    expect(otlp.spans().filter((s) => s.resource['service.name'] === service)).toEqual([]);
  });
});
