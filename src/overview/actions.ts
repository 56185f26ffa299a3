import type { WebClient } from '@slack/web-api';
import type { SlackIdentity } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import { ACTION_IDS, decodeActionValue } from '../out/views/actions.js';
import { buildResultModal } from '../out/views/result-modal.js';
import type { CancelOutcome } from '../queue/cancel.js';
import type { ActionJob } from '../queue/registry.js';
import type { FeedbackStore } from '../sessions/feedback.js';
import type { Prefs } from '../sessions/prefs.js';
import type { RequestRecord, RequestStore } from '../sessions/requests.js';
import type { RetryOutcome } from './retry-request.js';
import { type OverviewService, permalinkFor } from './service.js';

export interface OverviewActionsDeps {
  overview: Pick<OverviewService, 'publish' | 'sessionsMessage'>;
  client: Pick<WebClient, 'views' | 'chat'>;
  requests: Pick<RequestStore, 'takeUnread' | 'getResult' | 'get'>;
  /** The answer's ratings, shown in the result modal. */
  feedback: Pick<FeedbackStore, 'summary'>;
  prefs: Pick<Prefs, 'setDmOnResult'>;
  identity: Pick<SlackIdentity, 'url'>;
  logger: Logger;
  cancel: (requestId: string, userId: string) => Promise<CancelOutcome>;
  retry: (record: RequestRecord) => Promise<RetryOutcome>;
  respond: (responseUrl: string, body: Record<string, unknown>) => Promise<void>;
}

const ISOLATION_REFUSAL = "That request isn't yours, so I can't do that.";

/**
 * The buttons of the overview (Home tab and `/ask sessions` list), clicked: paging, the DM
 * preference, and View result, Mark read, Open thread, Cancel and Retry on a request. Every one
 * re-checks that the clicking user owns the request; button values are only data.
 */
export const createOverviewActions = (deps: OverviewActionsDeps) => {
  const log = deps.logger.child({ component: 'home' });
  const { publish, sessionsMessage } = deps.overview;

  /** Tells the user privately: in the ephemeral list's thread of responses, or as a DM from the Home tab. */
  const tell = async (job: ActionJob, text: string) => {
    if (job.responseUrl)
      await deps.respond(job.responseUrl, { response_type: 'ephemeral', replace_original: false, text });
    else await deps.client.chat.postMessage({ channel: job.userId, text });
  };

  return async (job: ActionJob): Promise<void> => {
    const { actionId, userId, teamId } = job;
    const alog = log.child({ actionId, userId });
    if (actionId === ACTION_IDS.older || actionId === ACTION_IDS.newer) {
      const page = decodeActionValue(actionId, job.value);
      if (page === undefined) return;
      if (job.container === 'view') await publish(teamId, userId, page);
      // The ephemeral `/ask sessions` list, re-rendered in place. It is built from the clicking
      // user's own requests: the button carries only a page number, never whose list it is.
      else if (job.responseUrl)
        await deps.respond(job.responseUrl, {
          replace_original: true,
          ...(await sessionsMessage(teamId, userId, page)),
        });
      return;
    }
    if (actionId === ACTION_IDS.toggleDm) {
      const next = decodeActionValue(ACTION_IDS.toggleDm, job.value);
      if (next === undefined) return;
      await deps.prefs.setDmOnResult(teamId, userId, next === 'on');
      await publish(teamId, userId);
      return;
    }
    if (
      actionId !== ACTION_IDS.viewResult &&
      actionId !== ACTION_IDS.markRead &&
      actionId !== ACTION_IDS.openThread &&
      actionId !== ACTION_IDS.cancel &&
      actionId !== ACTION_IDS.retry
    ) {
      alog.warn('unknown action ignored');
      return;
    }
    const requestId = decodeActionValue(actionId, job.value);
    if (requestId === undefined) {
      alog.warn('malformed action value ignored');
      return;
    }
    // Authority comes from the record, never from the button.
    const record = await deps.requests.get(requestId);
    if (!record) {
      await tell(job, 'That request has expired.');
      return;
    }
    if (record.userId !== userId || record.teamId !== teamId) {
      alog.warn({ requestId }, 'forged action on another user’s request refused');
      await tell(job, ISOLATION_REFUSAL);
      return;
    }
    if (actionId === ACTION_IDS.cancel) {
      const outcome = await deps.cancel(requestId, userId);
      if (!outcome.ok)
        await tell(
          job,
          outcome.why === 'forbidden' ? ISOLATION_REFUSAL : 'That request is no longer queued or running.',
        );
      return;
    }
    if (actionId === ACTION_IDS.retry) {
      const outcome = await deps.retry(record);
      // Refused by today's policy or budget: said as a new question would be.
      if (typeof outcome === 'object') await tell(job, outcome.refused);
      else if (outcome !== 'queued')
        await tell(job, 'That request cannot be retried; ask again in its thread.');
      return;
    }
    // View result, Mark read and Open thread all take the notification (read and clear, atomically).
    const taken = await deps.requests.takeUnread(requestId, userId);
    if (!taken.ok) {
      await tell(job, taken.why === 'forbidden' ? ISOLATION_REFUSAL : 'That request has expired.');
      return;
    }
    if (actionId === ACTION_IDS.viewResult) {
      const result = await deps.requests.getResult(requestId);
      if (!result) {
        await tell(job, 'That result has expired; the answer is still in its thread.');
        return;
      }
      if (!job.triggerId) return;
      const permalink = permalinkFor(deps.identity.url, record.channelId, record.threadTs);
      const feedback = await deps.feedback.summary(requestId);
      await deps.client.views.open({
        trigger_id: job.triggerId,
        view: buildResultModal(taken.record, result, {
          now: Date.now(),
          feedback,
          ...(permalink ? { permalink } : {}),
        }),
      });
    } else if (actionId === ACTION_IDS.openThread) {
      // A url button opens the thread in Slack itself; the action button variant gets the link.
      const permalink = permalinkFor(deps.identity.url, record.channelId, record.threadTs);
      if (!permalink) await tell(job, `The thread is in <#${record.channelId}>.`);
    }
  };
};

export type OverviewActions = ReturnType<typeof createOverviewActions>;
