import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { bestEffort } from '../core/best-effort.js';
import { dispositionOf } from '../core/disposition.js';
import type { ChatMessage, FileRef } from '../core/domain.js';
import { errorFields, errorMessage, isAppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { LlmClient, LlmResult } from '../llm/client.js';
import type { SlackPoster } from '../out/poster.js';
import { isChannelGone } from '../out/slack-error.js';
import type { ThreadReader } from '../out/threads.js';
import type { FeedbackStore } from '../sessions/feedback.js';
import type { HistoryStore } from '../sessions/history.js';
import { toRequestResult } from '../sessions/request-record.js';
import type { RequestRecord, RequestStore } from '../sessions/requests.js';
import { createAnswerEnding } from './answer-ending.js';
import { announceCancelled, type CancelWatch } from './cancel.js';
import type { Fairness } from './fairness.js';
import { type AnswerJob, QUEUES } from './registry.js';

export { failureText } from './answer-ending.js';

/**
 * Where a background answer's prompt comes from: a port, wired by the composition root with
 * answer/'s context builder (the queue sits below answer/ and never imports it).
 */
export interface AnswerContext {
  forQuestion(q: {
    teamId: string;
    channelId: string;
    threadTs: string;
    userId: string;
    question: string;
    questionTs: string;
    /** Read the thread from Slack rather than the cache. */
    fresh: boolean;
    /** The policy's system prompt (the job carries it); defaults to SYSTEM_PROMPT. */
    systemPrompt?: string | undefined;
    /** Files shared with the question's message. */
    files?: FileRef[] | undefined;
  }): Promise<{ messages: ChatMessage[]; files?: string[] }>;
}

export interface AnswerProcessorDeps {
  llm: Pick<LlmClient, 'stream'>;
  poster: Pick<SlackPoster, 'answer' | 'note' | 'badge' | 'sessions' | 'postEphemeral' | 'remove'>;
  reader: Pick<ThreadReader, 'findEarlierRun'>;
  context: AnswerContext;
  history: Pick<HistoryStore, 'append'>;
  requests: Pick<RequestStore, 'get' | 'update' | 'setResult' | 'inThread'>;
  /** Links the answer's last message (its feedback buttons) to the request. */
  feedback: Pick<FeedbackStore, 'rememberAnswer'>;
  fairness: Pick<Fairness, 'acquireRunning' | 'renewRunning' | 'releaseRunning' | 'removeQueued' | 'leaseMs'>;
  cancels: Pick<CancelWatch, 'track' | 'untrack' | 'cancelled'>;
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

/** Bookkeeping after the post gets a few quick tries (a Redis blip), then is given up, logged. */
const AFTER_POST_ATTEMPTS = 3;

/**
 * The background worker's processor. The answer is posted once, complete (no half-streamed message
 * a crash could leave behind), carrying the job id in its metadata. A job that runs again (retry,
 * or recovered from a dead worker) first looks for that metadata in its thread: finding it proves
 * the earlier run posted, so the post is never doubled, and never lost.
 *
 * It runs in two phases. Up to and including the post, a failure is this attempt's failure: it is
 * retried, or ends the request with a note. After the post, the user has the answer, so nothing may
 * report a failure (a "❌" under a real answer, and a Retry that answers twice): every step there
 * is best-effort, and the job completes.
 */
export const createAnswerProcessor = (deps: AnswerProcessorDeps) => {
  const ending = createAnswerEnding(deps);
  const cancelling = { ...deps, threadSession: ending.threadSession };

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
    /** The shared files the prompt held, listed with the result. */
    let usedFiles: string[] | undefined;

    /** The answer's last message carries its feedback buttons: clicks on it count for this request. */
    const linkFeedback = (lastTs: string | undefined) =>
      lastTs
        ? bestEffort(log, 'feedback link', () =>
            deps.feedback.rememberAnswer(request.channelId, lastTs, request.id),
          )
        : Promise.resolve(undefined);

    /**
     * A private answer (the policy's `private`): ephemeral to the requester in the thread, and the
     * queued note taken away. No badge; the Home inbox keeps the result. An ephemeral message has
     * no ts a re-run could find, so a re-run after this point may answer privately twice.
     */
    const postPrivately = async (result: LlmResult): Promise<{ ts: string[]; result: LlmResult }> => {
      await deps.poster.postEphemeral(request.channelId, request.userId, result.text, {
        threadTs: data.threadTs,
      });
      if (data.noteTs) {
        const noteTs = data.noteTs;
        await bestEffort(log, 'queued note removal', () => deps.poster.remove(request.channelId, noteTs));
      }
      return { ts: [], result };
    };

    /** Phase 1: from the start to the answer's post; `settled` when the job ended without posting. */
    const toPost = async (
      abort: AbortController,
    ): Promise<{ posted: { ts: string[]; result: LlmResult } } | { settled: AnswerJobResult }> => {
      const cancelled = await deps.cancels.cancelled(request.id);
      if (cancelled) {
        const record = await deps.requests.get(request.id);
        if (record && record.state !== 'cancelled')
          await announceCancelled(cancelling, record, log, { by: cancelled.by, noteTs: data.noteTs });
        return { settled: { ts: [], cancelled: true } };
      }
      // Only a job that ran before (a failed attempt, or a worker that died) can find its own
      // earlier post; a first run skips the history call. A fairness delay is not a run.
      const rerun = job.attemptsMade > 0 || (job.stalledCounter ?? 0) > 0;
      if (rerun) {
        const earlier = await deps.reader.findEarlierRun(thread, jobId);
        if (earlier) {
          if ((await ending.settleFromEarlier(data, jobId, earlier, log)) === 'failed')
            throw new UnrecoverableError('failure already reported by an earlier run');
          // The earlier run may have died before linking its answer's feedback buttons.
          await linkFeedback(earlier.ts);
          log.info({ ts: earlier.ts }, 'answer already posted by an earlier run');
          return { settled: { ts: [earlier.ts], alreadyPosted: true } };
        }
      }
      // No ⚙️ badge and no session status while it runs: neither tells the asker anything the
      // ⏳ note does not, and each would cost Slack writes (two for a badge switch) per answer.
      await deps.requests.update(request.id, { state: 'running', position: undefined });
      const built = await deps.context.forQuestion({
        ...thread,
        userId: request.userId,
        question: data.question,
        questionTs: data.questionTs,
        fresh: data.freshHistory,
        systemPrompt: data.policy?.systemPrompt,
        files: request.files,
      });
      usedFiles = built.files;
      // BullMQ owns the retries here: one attempt, a classified error.
      const result = await deps.llm.stream({
        messages: built.messages,
        retries: 0,
        signal: abort.signal,
        ...(data.policy?.model ? { model: data.policy.model } : {}),
        account: { teamId: request.teamId, userId: request.userId },
      });
      if (data.policy?.private) return { posted: await postPrivately(result) };
      // The queued note becomes the answer, in place, with the answer's metadata (job id): a re-run
      // finds it there as it would a posted answer.
      const { ts } = await deps.poster.answer(
        target,
        result.text,
        { requestId: request.id, jobId },
        data.noteTs ? { replacing: data.noteTs } : {},
      );
      return { posted: { ts, result } };
    };

    /**
     * A phase-1 failure, by its disposition: cancelled (`ignore`) is announced as such; `retry` goes
     * back to BullMQ while attempts are left; anything else is final and said in the thread (note,
     * badge, record). A queued request has no private way back to its asker.
     */
    const failed = async (err: unknown): Promise<AnswerJobResult> => {
      if (err instanceof UnrecoverableError || err instanceof DelayedError) throw err;
      // BullMQ owns this job's retries: the LLM was called with none.
      const disposition = dispositionOf(err, { ownsRetries: true });
      if (disposition === 'ignore') {
        log.info({ err: errorFields(err), disposition }, 'background answer cancelled');
        const record = await deps.requests.get(request.id);
        if (record)
          await announceCancelled(cancelling, record, log, {
            by: (await deps.cancels.cancelled(request.id))?.by,
            noteTs: data.noteTs,
          });
        deps.metrics.answers.inc({ path: 'background', outcome: 'cancelled' });
        return { ts: [], cancelled: true };
      }
      // A conversation closed to the bot stays closed: no further attempt (and LLM call) can help.
      const gone = isChannelGone(err);
      const final = disposition !== 'retry' || gone || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.warn({ err: errorFields(err), disposition, final, gone }, 'background answer attempt failed');
      if (!final) {
        // Back in the queue until its retry; the note still says it is on its way.
        await bestEffort(log, 'record', () => deps.requests.update(request.id, { state: 'queued' }));
        throw err;
      }
      await ending.fail(data, jobId, err, log);
      throw new UnrecoverableError(errorMessage(err));
    };

    /** Phase 2: the answer is in the thread. Best-effort only; it never reports a failure. */
    const afterPost = async ({
      ts,
      result,
    }: {
      ts: string[];
      result: LlmResult;
    }): Promise<AnswerJobResult> => {
      await linkFeedback(ts.at(-1));
      if (!data.policy?.private)
        await bestEffort(log, 'done badge', () => deps.poster.badge(request.channelId, data.badgeTs, 'done'));
      const totalMs = Date.now() - data.enqueuedAt;
      await bestEffort(
        log,
        'result',
        () =>
          deps.requests.setResult(
            request.id,
            toRequestResult(result, { totalMs, ts: ts[0], files: usedFiles }),
          ),
        { attempts: AFTER_POST_ATTEMPTS },
      );
      await ending.finish(data, jobId, { state: 'done', unread: true }, log);
      const onReady = deps.onReady;
      if (onReady) {
        const record = await bestEffort(log, 'record read', () => deps.requests.get(request.id), {
          attempts: AFTER_POST_ATTEMPTS,
        });
        if (record) await bestEffort(log, 'ready DM', () => onReady(record));
      }
      const last = ts[ts.length - 1];
      if (last)
        await bestEffort(log, 'history', () =>
          deps.history.append(thread, { role: 'assistant', text: result.text, ts: last }),
        );
      deps.metrics.answers.inc({ path: 'background', outcome: 'ok' });
      deps.metrics.answerSeconds.observe({ path: 'background' }, totalMs / 1000);
      log.info({ ms: result.ms, attempts: job.attemptsStarted }, 'background answer posted');
      return { ts, model: result.model, ...(result.usage ? { usage: result.usage } : {}), ms: result.ms };
    };

    // Fairness: a user at their running limit waits, without burning an attempt.
    if (!(await deps.fairness.acquireRunning(request.teamId, request.userId, jobId))) {
      const delay = (deps.fairnessDelayMs ?? 1_000) * (0.75 + Math.random() / 2);
      await job.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    }
    const renew = async () => {
      if (await deps.fairness.renewRunning(request.teamId, request.userId, jobId))
        log.warn({}, 'running slot had lapsed (late renewal); taken back');
    };
    const lease = setInterval(
      () => void bestEffort(log, 'running slot renewal', renew),
      deps.fairness.leaseMs / 3,
    );
    const abort = deps.cancels.track(jobId);
    try {
      let outcome: Awaited<ReturnType<typeof toPost>>;
      try {
        outcome = await toPost(abort);
      } catch (err) {
        return await failed(err);
      }
      return 'settled' in outcome ? outcome.settled : await afterPost(outcome.posted);
    } finally {
      clearInterval(lease);
      deps.cancels.untrack(jobId);
      await bestEffort(log, 'running slot', () =>
        deps.fairness.releaseRunning(request.teamId, request.userId, jobId),
      );
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
