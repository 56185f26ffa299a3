import type { Job } from 'bullmq';
import { bestEffort } from '../core/best-effort.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SlackPoster } from '../out/poster.js';
import type { ThreadReader } from '../out/threads.js';
import type { Workspaces } from '../out/workspaces.js';
import type { RequestStore } from '../sessions/requests.js';
import type { ThreadSession } from '../sessions/thread-status.js';
import { type AnswerEndingDeps, createAnswerEnding } from './answer-ending.js';
import { inWorkspaceOf } from './in-workspace.js';
import { answerJobSchema, QUEUES } from './registry.js';

/**
 * BullMQ 5 and 6 (`moveStalledJobsToWait`): a job found stalled more than `maxStalledCount` times gets
 * this reason as a deferred failure and goes back to wait; the next worker that fetches it fails
 * it without running the processor, and emits 'failed' with an UnrecoverableError of this text.
 * So no processor code runs for it: whatever the user should see has to happen here.
 */
export const STALLED_OUT_REASON = 'job stalled more than allowable limit';

const isStalledOut = (job: Job | undefined, err: Error) =>
  Boolean(job?.deferredFailure) || err.message === STALLED_OUT_REASON;

/**
 * A worker 'failed' listener that calls `handle` for the jobs BullMQ failed for stalling too often,
 * in the job's workspace.
 */
const stalledOutListener =
  (
    deps: { logger: Logger; workspaces: Pick<Workspaces, 'lookup'> },
    what: string,
    handle: (job: Job, log: Logger) => Promise<void>,
  ) =>
  (job: Job | undefined, err: Error) => {
    if (!isStalledOut(job, err)) return;
    const log = deps.logger.child({ what, jobId: job?.id });
    if (!job) {
      log.error({}, 'a job stalled too often and was failed; nothing more is known about it');
      return;
    }
    log.error(
      { jobName: job.name, stalls: job.stalledCounter, attempts: job.attemptsStarted },
      'job stalled too often and was failed without running again',
    );
    inWorkspaceOf({ workspaces: deps.workspaces, logger: log }, job.data, () => handle(job, log)).catch(
      (err: unknown) => log.error({ err: errorFields(err) }, 'could not report a stalled-out job'),
    );
  };

/**
 * A background answer that stalled out ends like any final failure (note, ❌ badge, record
 * `failed`, queued-cap entry and running slot given back), unless the thread shows that an earlier
 * run got as far as its answer or its failure note: then only the badge and record follow it.
 */
export const createAnswerStalledOut = (
  deps: AnswerEndingDeps & {
    reader: Pick<ThreadReader, 'findEarlierRun'>;
    workspaces: Pick<Workspaces, 'lookup'>;
  },
) => {
  const ending = createAnswerEnding(deps);
  return stalledOutListener(deps, 'answer worker', async (job, jobLog) => {
    const parsed = answerJobSchema.safeParse(job.data);
    if (!parsed.success) {
      jobLog.error({ issues: parsed.error.issues.length }, 'stalled-out answer job has an invalid payload');
      return;
    }
    const data = parsed.data;
    const jobId = String(job.id);
    const log = jobLog.child({ requestId: data.request.id });
    const thread = { channelId: data.request.channelId, threadTs: data.threadTs };
    const earlier = await bestEffort(log, 'thread read', () => deps.reader.findEarlierRun(thread, jobId));
    if (earlier) {
      await ending.settleFromEarlier(data, jobId, earlier, log);
      return;
    }
    await ending.fail(data, jobId, new Error(STALLED_OUT_REASON), log);
  });
};

export const INTAKE_STALLED_TEXT =
  '⚠️ I was interrupted twice while working on this, so I gave up on it. Please ask again.';

/**
 * An intake job that stalled out: the request is logged by id, a foreground answer cut short is
 * marked `failed`, and the asker is told (in the thread, or privately for `/ask`) unless the
 * request had already been answered or handed to the queue.
 */
export const createIntakeStalledOut = (deps: {
  poster: Pick<SlackPoster, 'note' | 'respond'>;
  requests: Pick<RequestStore, 'get' | 'update'>;
  threadSession: Pick<ThreadSession, 'settle'>;
  workspaces: Pick<Workspaces, 'lookup'>;
  logger: Logger;
}) =>
  stalledOutListener(deps, 'intake worker', async (job, jobLog) => {
    if (job.name !== QUEUES.intake.job) return;
    const parsed = QUEUES.intake.schema.safeParse(job.data);
    if (!parsed.success) return;
    const request = parsed.data;
    const log = jobLog.child({ requestId: request.id, source: request.source });
    log.error({}, 'request abandoned after stalling too often');
    const record = await bestEffort(log, 'record read', () => deps.requests.get(request.id));
    if (record && record.state !== 'answering') return;
    if (record)
      await bestEffort(log, 'record', () =>
        deps.requests.update(request.id, {
          state: 'failed',
          error: 'I was interrupted twice while answering this.',
        }),
      );
    const threadTs = request.threadTs ?? request.ts;
    // The dead run's session was left `processing` (its record says `answering`).
    if (record?.threadTs)
      await deps.threadSession.settle({
        teamId: request.teamId,
        channelId: request.channelId,
        threadTs: record.threadTs,
      });
    if (request.responseUrl) {
      const url = request.responseUrl;
      await bestEffort(log, 'stalled note', () =>
        deps.poster.respond(url, { response_type: 'ephemeral', text: INTAKE_STALLED_TEXT }),
      );
    } else if (threadTs) {
      await bestEffort(log, 'stalled note', () =>
        deps.poster.note({ channelId: request.channelId, threadTs }, INTAKE_STALLED_TEXT, {
          requestId: request.id,
          kind: 'error',
        }),
      );
    }
  });
