import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { ContextBuilder } from '../answer/context.js';
import type { Config } from '../config.js';
import { isAppError, userMessageFor } from '../errors.js';
import type { LlmClient } from '../llm/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { HistoryStore } from '../sessions/history.js';
import type { RequestRecord, RequestStore } from '../sessions/requests.js';
import { allBadges, switchBadge } from '../slack/badges.js';
import type { SlackPoster } from '../slack/poster.js';
import { METADATA, type ThreadReader } from '../slack/threads.js';
import { announceCancelled, type CancelWatch } from './cancel.js';
import type { Fairness } from './fairness.js';
import { type AnswerJob, QUEUES } from './registry.js';

export interface AnswerProcessorDeps {
  llm: Pick<LlmClient, 'stream'>;
  poster: Pick<SlackPoster, 'reply' | 'react' | 'unreact' | 'setStatus'>;
  reader: Pick<ThreadReader, 'findByMetadata'>;
  context: ContextBuilder;
  history: Pick<HistoryStore, 'append'>;
  requests: Pick<RequestStore, 'get' | 'update' | 'setResult'>;
  fairness: Pick<Fairness, 'acquireRunning' | 'renewRunning' | 'releaseRunning' | 'removeQueued' | 'leaseMs'>;
  cancels: Pick<CancelWatch, 'track' | 'untrack' | 'isCancelled'>;
  config: Pick<Config, 'emoji'>;
  metrics: Pick<Metrics, 'answers' | 'answerSeconds'>;
  logger: Logger;
  /** Told when a background result is ready (the optional DM). */
  onReady?: (record: RequestRecord) => Promise<void>;
  /** How long a job whose owner is at their running limit waits before trying again. */
  fairnessDelayMs?: number;
}

export interface AnswerJobResult {
  ts: string[];
  model?: string;
  usage?: { promptTokens: number; completionTokens: number };
  ms?: number;
  /** The answer was already in the thread from an earlier run of this job. */
  alreadyPosted?: boolean;
  cancelled?: boolean;
}

/** What a final failure says in the thread: what went wrong, and how to try again. */
export const failureText = (err: unknown) =>
  `❌ I couldn't finish this one. ${userMessageFor(err)} To try again, ask again here (or \`/ask later …\`).`;

/**
 * The background worker's processor. The answer is posted once, complete (no half-streamed message
 * a crash could leave behind), carrying the job id in its metadata. A job that runs again (retry,
 * or recovered from a dead worker) first looks for that metadata in its thread: finding it proves
 * the earlier run posted, so the post is never doubled, and never lost.
 */
export const createAnswerProcessor = (deps: AnswerProcessorDeps) => {
  const { emoji } = deps.config;

  /** `from`: the badges that can be there at this step; a re-run does not know, so clears them all. */
  const setBadge = (channel: string, ts: string, name: string, from: readonly string[] = allBadges(emoji)) =>
    switchBadge(deps.poster, channel, ts, name, from);

  const markFinished = async (data: AnswerJob, patch: Parameters<RequestStore['update']>[1]) => {
    await deps.requests.update(data.request.id, { ...patch, position: undefined }).catch(() => {});
    await deps.fairness
      .removeQueued(data.request.teamId, data.request.userId, data.request.id)
      .catch(() => {});
  };

  return async (job: Job, token?: string): Promise<AnswerJobResult> => {
    const parsed = QUEUES.answers.schema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`invalid answer job payload (${parsed.error.issues.length} issues)`);
    const data: AnswerJob = parsed.data;
    const { request } = data;
    const jobId = String(job.id);
    const log = deps.logger.child({ jobId, requestId: request.id });
    const target = {
      teamId: request.teamId,
      channelId: request.channelId,
      threadTs: data.threadTs,
      userId: request.userId,
      isDm: request.isDm,
    };
    const thread = { teamId: request.teamId, channelId: request.channelId, threadTs: data.threadTs };

    // Fairness: a user at their running limit waits, without burning an attempt.
    if (!(await deps.fairness.acquireRunning(request.teamId, request.userId, jobId))) {
      const delay = (deps.fairnessDelayMs ?? 1_000) * (0.75 + Math.random() / 2);
      await job.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    }
    const lease = setInterval(
      () => void deps.fairness.renewRunning(request.teamId, request.userId, jobId).catch(() => {}),
      deps.fairness.leaseMs / 3,
    );
    const abort = deps.cancels.track(jobId);
    let status: Awaited<ReturnType<typeof deps.poster.setStatus>> | undefined;
    try {
      if (await deps.cancels.isCancelled(request.id)) {
        const record = await deps.requests.get(request.id);
        if (record && record.state !== 'cancelled') await announceCancelled(deps, record);
        return { ts: [], cancelled: true };
      }
      // Only a job that ran before (a failed attempt, or a worker that died) can find its own
      // earlier post; a first run skips the history call. A fairness delay is not a run.
      const rerun = job.attemptsMade > 0 || (job.stalledCounter ?? 0) > 0;
      if (rerun) {
        const earlier = await deps.reader.findByMetadata(
          request.channelId,
          data.threadTs,
          (type, payload) =>
            (type === METADATA.answer && payload.job_id === jobId) ||
            (type === METADATA.note && payload.failed_job_id === jobId),
        );
        if (earlier?.eventType === METADATA.answer) {
          log.info({ ts: earlier.ts }, 'answer already posted by an earlier run');
          await setBadge(request.channelId, data.badgeTs, emoji.done);
          await markFinished(data, { state: 'done', unread: true });
          return { ts: [earlier.ts], alreadyPosted: true };
        }
        if (earlier) {
          await setBadge(request.channelId, data.badgeTs, emoji.failed);
          await markFinished(data, { state: 'failed' });
          throw new UnrecoverableError('failure already reported by an earlier run');
        }
      }

      await deps.requests.update(request.id, { state: 'running', position: undefined });
      await setBadge(
        request.channelId,
        data.badgeTs,
        emoji.running,
        rerun ? undefined : [emoji.queued],
      ).catch((err) => log.warn({ err: { message: (err as Error).message } }, 'running badge failed'));
      status = await deps.poster.setStatus(target, 'is working on your request…');
      const built = await deps.context.forQuestion({
        ...thread,
        userId: request.userId,
        question: data.question,
        questionTs: data.questionTs,
        fresh: data.freshHistory,
      });
      // BullMQ owns the retries here: one attempt, a classified error.
      const result = await deps.llm.stream({ messages: built.messages, retries: 0, signal: abort.signal });
      const { ts } = await deps.poster.reply(target, result.text, {
        metadata: { event_type: METADATA.answer, event_payload: { request_id: request.id, job_id: jobId } },
      });
      await setBadge(request.channelId, data.badgeTs, emoji.done, [emoji.running, emoji.queued]).catch(
        (err) => log.warn({ err: { message: (err as Error).message } }, 'done badge failed'),
      );
      const totalMs = Date.now() - data.enqueuedAt;
      await deps.requests.setResult(request.id, {
        text: result.text,
        model: result.model,
        ...(result.usage
          ? { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens }
          : {}),
        ms: result.ms,
        totalMs,
        finishedAt: Date.now(),
        ...(ts[0] ? { ts: ts[0] } : {}),
      });
      await markFinished(data, { state: 'done', unread: true });
      const record = await deps.requests.get(request.id);
      if (record && deps.onReady)
        await deps
          .onReady(record)
          .catch((err) => log.warn({ err: { message: (err as Error).message } }, 'ready DM failed'));
      const last = ts[ts.length - 1];
      if (last)
        await deps.history.append(thread, { role: 'assistant', text: result.text, ts: last }).catch(() => {});
      deps.metrics.answers.inc({ path: 'background', outcome: 'ok' });
      deps.metrics.answerSeconds.observe({ path: 'background' }, totalMs / 1000);
      log.info({ ms: result.ms, attempts: job.attemptsStarted }, 'background answer posted');
      return { ts, model: result.model, ...(result.usage ? { usage: result.usage } : {}), ms: result.ms };
    } catch (err) {
      if (err instanceof UnrecoverableError || err instanceof DelayedError) throw err;
      if (isAppError(err) && err.code === 'cancelled') {
        const record = await deps.requests.get(request.id);
        if (record) await announceCancelled(deps, record);
        deps.metrics.answers.inc({ path: 'background', outcome: 'cancelled' });
        return { ts: [], cancelled: true };
      }
      const retryable = isAppError(err) && err.retryable;
      const attempts = job.opts.attempts ?? 1;
      const final = !retryable || job.attemptsMade + 1 >= attempts;
      log.warn(
        { err: { message: (err as Error).message, code: (err as { code?: string }).code }, final },
        'background answer attempt failed',
      );
      if (!final) {
        await deps.requests.update(request.id, { state: 'queued' }).catch(() => {});
        throw err;
      }
      // Final: one reply saying what went wrong and how to retry, and the failure badge.
      await deps.poster.reply(target, failureText(err), {
        metadata: {
          event_type: METADATA.note,
          event_payload: { request_id: request.id, failed_job_id: jobId },
        },
      });
      await setBadge(request.channelId, data.badgeTs, emoji.failed, [emoji.running, emoji.queued]).catch(
        () => {},
      );
      await markFinished(data, { state: 'failed', error: userMessageFor(err) });
      deps.metrics.answers.inc({ path: 'background', outcome: 'failed' });
      throw new UnrecoverableError((err as Error).message);
    } finally {
      clearInterval(lease);
      deps.cancels.untrack(jobId);
      await deps.fairness.releaseRunning(request.teamId, request.userId, jobId).catch(() => {});
      await status?.stop();
    }
  };
};

/**
 * BullMQ backoff for answer jobs: exponential with full jitter, never sooner than the server's
 * `retry-after` hint carried by the classified error.
 */
export const answerBackoff = (attemptsMade: number, _type?: string, err?: Error): number => {
  const base = Math.min(60_000, 2_000 * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = base / 2 + Math.random() * (base / 2);
  const hint = isAppError(err) ? (err.retryAfterMs ?? 0) : 0;
  return Math.max(jittered, hint);
};
