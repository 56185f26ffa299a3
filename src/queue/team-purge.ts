import type { Queue } from 'bullmq';
import type { Logger } from '../core/logger.js';
import { purgeTeamKeys, type TeamPurgeDeps } from '../sessions/team-purge.js';
import { answerJobSchema } from './registry.js';

/** Jobs read per page while looking for a team's. */
const PAGE = 500;

export interface TeamPurgerDeps extends TeamPurgeDeps {
  /** The answers queue. */
  queue: Pick<Queue, 'getJobs'>;
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

  return {
    async purge(teamId: string): Promise<void> {
      const jobs = await removeQueuedJobs(teamId);
      const keys = await purgeTeamKeys(deps, teamId);
      log.info({ teamId, jobs, keys }, 'purged an uninstalled team');
    },
  };
};

export type TeamPurger = ReturnType<typeof createTeamPurger>;
