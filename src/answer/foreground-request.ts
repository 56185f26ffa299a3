import { bestEffort } from '../core/best-effort.js';
import type { ChatMessage, ThreadTarget } from '../core/domain.js';
import { userMessageFor } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { sessionTitle } from '../out/agent-session.js';
import type { SlackPoster, WrittenAnswer } from '../out/poster.js';
import type { ForegroundStops } from '../queue/foreground-stops.js';
import type { AnswerJob } from '../queue/registry.js';
import type { FeedbackStore } from '../sessions/feedback.js';
import type { HistoryStore } from '../sessions/history.js';
import { newRequestRecord, toRequestResult } from '../sessions/request-record.js';
import type { RequestStore } from '../sessions/requests.js';
import type { ThreadSession } from '../sessions/thread-status.js';
import type { ForegroundAnswerer, ForegroundOutcome } from './foreground.js';

export interface ForegroundRequestDeps {
  foreground: ForegroundAnswerer;
  poster: Pick<SlackPoster, 'note'>;
  history: Pick<HistoryStore, 'append'>;
  requests: Pick<RequestStore, 'create' | 'update' | 'saveJob' | 'setResult'>;
  feedback: Pick<FeedbackStore, 'rememberAnswer'>;
  metrics: Pick<Metrics, 'answers' | 'answerSeconds' | 'inFlight'>;
  /** Where a stop published by any web process reaches this answer. */
  stops: Pick<ForegroundStops, 'track' | 'untrack'>;
  /** What the thread's session shows once this answer ends (other work there may go on). */
  threadSession: Pick<ThreadSession, 'next'>;
}

/** Record updates that end a request get a few quick tries (a Redis blip) before they are given up. */
const RECORD_ATTEMPTS = 3;

/**
 * Foreground answers with their records. A record is created `answering` and every way out ends
 * it: `done`; `cancelled` when someone stopped it (Slack's stop button, from any web process);
 * or `failed` when the answer failed or its final post threw (both keep a job a Retry can run).
 * Before the record says so, the answer's last message is linked to the request (its feedback
 * buttons count for it) and a whole answer's result is stored (View result). After the answer is
 * in the thread, bookkeeping is best-effort: it never turns a posted answer into an error.
 */
export const createForegroundRequests = (deps: ForegroundRequestDeps) => {
  let inFlight = 0;

  const run = async (
    job: AnswerJob,
    messages: ChatMessage[],
    /** `files`: the shared files the prompt holds, listed with the result. */
    opts: { interrupted: boolean; signal?: AbortSignal; files?: string[] },
    log: Logger,
  ): Promise<void> => {
    // Listening before the record says `answering`: a stop that finds the record finds the answer.
    const stop = deps.stops.track(job.request.id);
    try {
      await runTracked(job, messages, { ...opts, stop }, log);
    } finally {
      deps.stops.untrack(job.request.id, stop);
    }
  };

  const runTracked = async (
    job: AnswerJob,
    messages: ChatMessage[],
    opts: { interrupted: boolean; signal?: AbortSignal; files?: string[]; stop: AbortController },
    log: Logger,
  ): Promise<void> => {
    const { request, threadTs } = job;
    // One signal for the answer: the thread lock lost, or a stop.
    const { stop } = opts;
    if (opts.signal?.aborted) stop.abort(opts.signal.reason);
    else opts.signal?.addEventListener('abort', () => stop.abort(opts.signal?.reason), { once: true });
    await deps.requests.create(newRequestRecord(job, { state: 'answering', path: 'foreground' }));
    const target: ThreadTarget = {
      teamId: request.teamId,
      channelId: request.channelId,
      threadTs,
      userId: request.userId,
      isDm: request.isDm,
    };
    // An earlier run got as far as answering and never finished (its process died): what it left
    // may be cut short.
    if (opts.interrupted)
      await bestEffort(log, 'interrupted note', () =>
        deps.poster.note(
          { channelId: request.channelId, threadTs },
          '⚠️ I was interrupted while answering this; here is a fresh answer.',
          { requestId: request.id, kind: 'rerun' },
        ),
      );
    /** The answer's last message carries its feedback buttons: clicks on it count for this request. */
    const linkFeedback = async ({ feedbackTs }: WrittenAnswer) => {
      if (feedbackTs)
        await bestEffort(log, 'feedback link', () =>
          deps.feedback.rememberAnswer(request.channelId, feedbackTs, request.id),
        );
    };
    inFlight++;
    deps.metrics.inFlight.set(inFlight);
    let outcome: ForegroundOutcome | undefined;
    let thrown: unknown;
    try {
      const model = job.policy?.model;
      outcome = job.policy?.private
        ? await deps.foreground.answerPrivately(target, messages, { signal: stop.signal, model })
        : await deps.foreground.answer(target, messages, {
            title: sessionTitle(job.question),
            signal: stop.signal,
            model,
            after: () => deps.threadSession.next(target, request.id),
            written: linkFeedback,
          });
    } catch (err) {
      thrown = err;
      throw err;
    } finally {
      inFlight--;
      deps.metrics.inFlight.set(inFlight);
      // A whole answer's result, for View result.
      if (outcome?.ok) {
        const result = toRequestResult(outcome.result, {
          totalMs: Date.now() - request.receivedAt,
          ts: outcome.ts[0],
          files: opts.files,
        });
        await bestEffort(log, 'result', () => deps.requests.setResult(request.id, result));
      }
      const ok = outcome?.ok === true;
      const error = outcome && !outcome.ok ? outcome.error : thrown;
      const stoppedBy = outcome && !outcome.ok ? outcome.stoppedBy : undefined;
      const end = ok
        ? ({ state: 'done' } as const)
        : stoppedBy
          ? ({ state: 'cancelled' } as const)
          : ({ state: 'failed', error: userMessageFor(error) } as const);
      await bestEffort(log, 'record', () => deps.requests.update(request.id, end), {
        attempts: RECORD_ATTEMPTS,
      });
      // A failed answer can be retried from the Home tab, in the background.
      if (!ok) await bestEffort(log, 'retry job', () => deps.requests.saveJob(request.id, job));
    }
    const stoppedBy = outcome.ok ? undefined : outcome.stoppedBy;
    if (stoppedBy) log.info({ stoppedBy }, 'foreground answer stopped');
    deps.metrics.answers.inc({
      path: 'foreground',
      outcome: outcome.ok ? 'ok' : stoppedBy ? 'cancelled' : 'failed',
    });
    deps.metrics.answerSeconds.observe({ path: 'foreground' }, (Date.now() - request.receivedAt) / 1000);
    const first = outcome.ok ? outcome.ts[0] : undefined;
    if (outcome.ok && first) {
      const { text } = outcome.result;
      await bestEffort(log, 'history', () =>
        deps.history.append(
          { teamId: request.teamId, channelId: request.channelId, threadTs },
          {
            role: 'assistant',
            text,
            ts: first,
          },
        ),
      );
    }
  };

  return { run, inFlight: () => inFlight };
};

export type ForegroundRequests = ReturnType<typeof createForegroundRequests>;
