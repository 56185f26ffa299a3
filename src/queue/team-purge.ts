import type { Queue } from 'bullmq';
import type { Logger } from '../core/logger.js';
import { purgeTeamKeys, type TeamPurgeDeps } from '../sessions/team-purge.js';
import { answerJobSchema, QUEUES, type TeamUninstalledJob } from './registry.js';

/** Jobs read per page while looking for a team's. */
const PAGE = 500;

export interface TeamPurgerDeps extends TeamPurgeDeps {
  /** The answers queue. */
  queue: Pick<Queue, 'getJobs' | 'name' | 'remove'>;
  /** Every queue whose finished jobs (kept JOB_RETENTION_SECONDS, with their requests' text) go too. */
  finished: readonly Pick<Queue, 'name' | 'remove'>[];
  /**
   * Where the second sweep is queued, and after how long: work of the workspace still running at the
   * uninstall (an answer, a Home re-publish in a process that had not yet heard of it) may write a
   * key after the first. Without it, one sweep.
   */
  sweepAgain?: { queue: Pick<Queue, 'add'>; delayMs: number };
  logger: Logger;
}

/**
 * What an uninstall deletes, after its ack: the team's background answers not yet started
 * (waiting, delayed, prioritized), then every Redis key of the team. A running answer is left to
 * end by itself (its team's token is gone, so its Slack calls fail and it ends quietly). Idempotent:
 * the intake job that runs it may be retried.
 */
export const createTeamPurger = (deps: TeamPurgerDeps) => {
  const log = deps.logger.child({ component: 'team-purge' });
  const removeQueuedJobs = async (teamId: string): Promise<number> => {
    // Found first, then removed: removing while paging would shift the pages under us.
    const theirs = [];
    for (let start = 0; ; start += PAGE) {
      const jobs = await deps.queue.getJobs(['waiting', 'delayed', 'prioritized'], start, start + PAGE - 1);
      for (const job of jobs) {
        const parsed = answerJobSchema.safeParse(job?.data);
        if (job && parsed.success && parsed.data.request.teamId === teamId) theirs.push(job);
      }
      if (jobs.length < PAGE) break;
    }
    // A job that started meanwhile is locked: remove refuses it, and it ends on its own.
    const results = await Promise.allSettled(theirs.map((job) => job.remove()));
    return results.filter((r) => r.status === 'fulfilled').length;
  };

  /**
   * The team's finished jobs (completed, failed), which hold its requests' text: every job id the
   * app makes names its team (registry.ts), so a SCAN of the queue's keys finds them. Removed
   * through BullMQ, which unlinks them from its sets too; a job running now (this purge's own) is
   * locked and stays. Its deduplication markers (`de:…`) go as they are.
   */
  const removeFinishedJobs = async (queue: Pick<Queue, 'name' | 'remove'>, teamId: string) => {
    const base = `${deps.keys.prefix}:${queue.name}:`;
    const t = teamId.replace(/[*?[\]\\]/g, '\\$&');
    const ids = new Set<string>();
    const markers: string[] = [];
    // The team id between separators (`T1_…`, `answer_T1_…`, `de:msg:T1:…`), so T11's never match.
    for (const match of [`${base}${t}_*`, `${base}*_${t}_*`, `${base}de:*:${t}:*`])
      for await (const found of deps.redis.scanStream({ match, count: 1000 }) as AsyncIterable<string[]>)
        for (const key of found) {
          const rest = key.slice(base.length);
          if (rest.startsWith('de:')) markers.push(key);
          else ids.add(rest.split(':')[0] ?? rest);
        }
    const results = await Promise.allSettled([...ids].map((id) => queue.remove(id)));
    if (markers.length > 0) await deps.redis.unlink(...markers);
    return results.filter((r) => r.status === 'fulfilled' && r.value === 1).length;
  };

  return {
    /** The purge at the uninstall (`sweep` 0), which queues the second; or that second sweep (1). */
    async purge(teamId: string, sweep = 0): Promise<void> {
      const jobs = await removeQueuedJobs(teamId);
      let finished = 0;
      for (const queue of deps.finished) finished += await removeFinishedJobs(queue, teamId);
      const keys = await purgeTeamKeys(deps, teamId);
      log.info({ teamId, jobs, finished, keys, sweep }, 'purged an uninstalled team');
      const again = deps.sweepAgain;
      if (sweep > 0 || !again) return;
      const data: TeamUninstalledJob = { teamId, reason: 'app_uninstalled', sweep: 1 };
      await again.queue.add(QUEUES.intake.teamUninstalled.job, data, {
        jobId: `${teamId}_uninstalled_sweep_${Date.now()}`,
        delay: again.delayMs,
        attempts: 3,
        removeOnComplete: true,
        removeOnFail: true,
      });
    },
  };
};

export type TeamPurger = ReturnType<typeof createTeamPurger>;
