import type { WebClient } from '@slack/web-api';
import type { Logger } from '../core/logger.js';
import type { SlackIdentity } from '../edge/app.js';
import { ACTION_IDS, decodeActionValue } from '../out/views/actions.js';
import { buildHomeView, buildSessionsMessage, type SessionSummary } from '../out/views/home.js';
import { buildResultModal } from '../out/views/result-modal.js';
import type { CancelOutcome } from '../queue/cancel.js';
import type { ActionJob } from '../queue/registry.js';
import type { Prefs } from '../sessions/prefs.js';
import type { RequestRecord, RequestStore } from '../sessions/requests.js';

/** A thread's permalink, built from the workspace URL (no Slack call per session). */
export const permalinkFor = (
  workspaceUrl: string | undefined,
  channelId: string,
  ts: string,
): string | undefined =>
  workspaceUrl
    ? `${workspaceUrl.replace(/\/?$/, '/')}archives/${channelId}/p${ts.replace('.', '')}`
    : undefined;

export interface HomeDeps {
  client: Pick<WebClient, 'views' | 'chat'>;
  requests: Pick<RequestStore, 'listForUser' | 'takeUnread' | 'getResult' | 'get'>;
  prefs: Prefs;
  identity: Pick<SlackIdentity, 'url' | 'botUserId'>;
  logger: Logger;
  /** Web role only: what Cancel and Retry do. */
  cancel?: (requestId: string, userId: string) => Promise<CancelOutcome>;
  retry?: (record: RequestRecord) => Promise<'queued' | 'not_retryable'>;
  /** Re-publishes within this window are coalesced into one (views.publish is Tier 4, ~100/min). */
  coalesceMs?: number;
  respond?: (responseUrl: string, body: Record<string, unknown>) => Promise<void>;
}

const ISOLATION_REFUSAL = "That request isn't yours, so I can't do that.";

/**
 * The App Home tab and the `/ask sessions` list: a user's own requests, never anyone else's. Every
 * action re-checks that the acting user owns the request; button values are only data.
 */
export const createHomeService = (deps: HomeDeps) => {
  const log = deps.logger.child({ component: 'home' });
  const coalesceMs = deps.coalesceMs ?? 1_500;
  // One timer per user with a change in the last `coalesceMs`; each removes itself when it fires,
  // so this holds at most the users active within one window.
  const pending = new Map<string, NodeJS.Timeout>();
  const permalinks = (s: SessionSummary) => permalinkFor(deps.identity.url, s.channelId, s.threadTs);
  const hasResult = (r: RequestRecord) => r.path === 'background' && r.state === 'done';

  /**
   * The page lives in Redis, not in this process: a re-publish after a state change (in whichever
   * web or worker process made it) has no click payload to read it from, and Slack has no way to
   * read a published view back, so `private_metadata` alone cannot carry it.
   */
  const publish = async (teamId: string, userId: string, page?: number) => {
    if (page !== undefined) await deps.prefs.setHomePage(teamId, userId, page);
    const [records, shown, dmOnResult] = await Promise.all([
      deps.requests.listForUser(teamId, userId),
      page ?? deps.prefs.homePage(teamId, userId),
      deps.prefs.dmOnResult(teamId, userId),
    ]);
    const view = buildHomeView(records, {
      now: Date.now(),
      page: shown,
      dmOnResult,
      permalinks,
      hasResult,
      botUserId: deps.identity.botUserId,
    });
    await deps.client.views.publish({ user_id: userId, view });
  };

  /** Tells the user privately: in the ephemeral list's thread of responses, or as a DM from the Home tab. */
  const tell = async (job: ActionJob, text: string) => {
    if (job.responseUrl && deps.respond)
      await deps.respond(job.responseUrl, { response_type: 'ephemeral', replace_original: false, text });
    else await deps.client.chat.postMessage({ channel: job.userId, text });
  };

  /** The `/ask sessions` list: always the given user's own requests. */
  const sessionsMessage = async (teamId: string, userId: string, page = 0) => {
    const records = await deps.requests.listForUser(teamId, userId);
    return buildSessionsMessage(records, {
      now: Date.now(),
      page,
      permalinks,
      hasResult,
      botUserId: deps.identity.botUserId,
    });
  };

  return {
    publish,
    /** The user opened the Home tab: remember it, and show the tab. */
    async opened(teamId: string, userId: string) {
      await deps.prefs.markHomeSeen(teamId, userId);
      await publish(teamId, userId);
    },
    /** Coalesced re-publish after a state change; failures are logged, never thrown. */
    schedule(teamId: string, userId: string) {
      const key = `${teamId}:${userId}`;
      if (pending.has(key)) return;
      const timer = setTimeout(() => {
        pending.delete(key);
        // views.publish is Tier 4: spend it only on users who have opened the Home tab.
        deps.prefs
          .homeSeen(teamId, userId)
          .then((seen) => (seen ? publish(teamId, userId) : undefined))
          .catch((err) =>
            log.warn({ userId, err: { message: (err as Error).message } }, 'home publish failed'),
          );
      }, coalesceMs);
      timer.unref();
      pending.set(key, timer);
    },
    sessionsMessage,
    /** A DM when a background result is ready, for users who asked for one. */
    async notifyReady(record: RequestRecord) {
      if (!(await deps.prefs.dmOnResult(record.teamId, record.userId))) return;
      const link = permalinkFor(deps.identity.url, record.channelId, record.threadTs);
      const title = record.title.replace(/[<>&]/g, ' ');
      await deps.client.chat.postMessage({
        channel: record.userId,
        text: `📬 Your answer to “${title}” is ready${link ? `: ${link}` : ' in its thread.'} Open the Home tab to read it.`,
        unfurl_links: false,
      });
      // The preference is in use: keep it (best-effort; the DM already went out).
      await deps.prefs
        .touch(record.teamId, record.userId)
        .catch((err) =>
          log.warn(
            { userId: record.userId, err: { message: (err as Error).message } },
            'prefs expiry not refreshed',
          ),
        );
    },
    async handleAction(job: ActionJob): Promise<void> {
      const { actionId, userId, teamId } = job;
      const alog = log.child({ actionId, userId });
      if (actionId === ACTION_IDS.older || actionId === ACTION_IDS.newer) {
        const page = decodeActionValue(actionId, job.value);
        if (page === undefined) return;
        if (job.container === 'view') await publish(teamId, userId, page);
        // The ephemeral `/ask sessions` list, re-rendered in place. It is built from the clicking
        // user's own requests: the button carries only a page number, never whose list it is.
        else if (job.responseUrl && deps.respond)
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
        const outcome = deps.cancel
          ? await deps.cancel(requestId, userId)
          : ({ ok: false, why: 'not_active' } as const);
        if (!outcome.ok)
          await tell(
            job,
            outcome.why === 'forbidden' ? ISOLATION_REFUSAL : 'That request is no longer queued or running.',
          );
        return;
      }
      if (actionId === ACTION_IDS.retry) {
        const outcome = deps.retry ? await deps.retry(record) : 'not_retryable';
        if (outcome !== 'queued') await tell(job, 'That request cannot be retried; ask again in its thread.');
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
        await deps.client.views.open({
          trigger_id: job.triggerId,
          view: buildResultModal(taken.record, result, {
            now: Date.now(),
            ...(permalink ? { permalink } : {}),
          }),
        });
      } else if (actionId === ACTION_IDS.openThread) {
        // A url button opens the thread in Slack itself; the action button variant gets the link.
        const permalink = permalinkFor(deps.identity.url, record.channelId, record.threadTs);
        if (!permalink) await tell(job, `The thread is in <#${record.channelId}>.`);
      }
    },
  };
};

export type HomeService = ReturnType<typeof createHomeService>;
