import type { Job } from 'bullmq';
import type { RequestHandler } from '../answer/handle-request.js';
import type { OverviewActions } from '../overview/actions.js';
import type { OverviewCommands } from '../overview/commands.js';
import type { FeedbackActions } from '../overview/feedback.js';
import type { MessagesTab } from '../overview/messages-tab.js';
import type { PolicyAdmin } from '../overview/policy-admin.js';
import type { OverviewService } from '../overview/service.js';
import type { SessionStop } from '../overview/session-stop.js';
import type { UsageOverview } from '../overview/usage.js';
import { QUEUES } from '../queue/registry.js';
import type { TeamPurger } from '../queue/team-purge.js';
import { waitTurnInQueue } from './wait-turn.js';

export interface IntakeProcessorDeps {
  handler: Pick<RequestHandler, 'handle'>;
  overview: Pick<OverviewService, 'opened'>;
  actions: OverviewActions;
  commands: Pick<OverviewCommands, 'sessions' | 'cancel'>;
  messagesTab: Pick<MessagesTab, 'opened' | 'contextChanged'>;
  /** 👍/👎 on answers, "Tell us more" and its comment. */
  feedback: FeedbackActions;
  /** Slack's stop button. */
  sessionStop: Pick<SessionStop, 'stop'>;
  /** An uninstalled workspace's queued answers and data. */
  teamPurge: Pick<TeamPurger, 'purge'>;
  /** The Admin section's policy edits (absent: such jobs are dropped). */
  policyAdmin?: Pick<PolicyAdmin, 'handle'>;
  /** `/ask usage`, and an admin's budget changes; without it, `/ask usage` gets the help. */
  usage?: Pick<UsageOverview, 'command' | 'work'>;
}

export type IntakeJob = Pick<Job, 'name' | 'data' | 'attemptsMade' | 'stalledCounter' | 'moveToDelayed'>;

/**
 * The intake worker's processor: each job to whoever handles its kind, its payload parsed with the
 * registry's schema first. A user's request goes to the request handler; the Home tab, its buttons,
 * the Messages tab, `/ask sessions`, `/ask cancel`, feedback and Slack's stop button go to the
 * overview.
 */
export const createIntakeProcessor =
  (deps: IntakeProcessorDeps) =>
  async (job: IntakeJob, token?: string): Promise<void> => {
    const { intake } = QUEUES;
    if (job.name === intake.homeOpened.job) {
      const { teamId, userId } = intake.homeOpened.schema.parse(job.data);
      return deps.overview.opened(teamId, userId);
    }
    if (job.name === intake.action.job) return deps.actions(intake.action.schema.parse(job.data));
    if (job.name === intake.messagesOpened.job)
      return deps.messagesTab.opened(intake.messagesOpened.schema.parse(job.data));
    if (job.name === intake.contextChanged.job)
      return deps.messagesTab.contextChanged(intake.contextChanged.schema.parse(job.data));
    if (job.name === intake.feedback.job) return deps.feedback(intake.feedback.schema.parse(job.data));
    if (job.name === intake.sessionStopped.job)
      return deps.sessionStop.stop(intake.sessionStopped.schema.parse(job.data));
    if (job.name === intake.teamUninstalled.job) {
      const { teamId, sweep } = intake.teamUninstalled.schema.parse(job.data);
      return deps.teamPurge.purge(teamId, sweep);
    }
    if (job.name === intake.policy.job) return deps.policyAdmin?.handle(intake.policy.schema.parse(job.data));
    if (job.name === intake.budget.job && deps.usage)
      return deps.usage.work(intake.budget.schema.parse(job.data));
    const request = intake.schema.parse(job.data);
    const action = request.command?.action;
    if (action === 'sessions' || action === 'cancel') return deps.commands[action](request);
    if (action === 'usage' && deps.usage) return deps.usage.command(request);
    // An intake job that ran before (a process died, or Redis failed, mid-way) is a re-run.
    const rerun = job.attemptsMade > 0 || (job.stalledCounter ?? 0) > 0;
    return waitTurnInQueue(job, token, () => deps.handler.handle(request, { rerun }));
  };
