import type { WebClient } from '@slack/web-api';
import { bestEffort } from '../core/best-effort.js';
import type { SlackIdentity } from '../core/domain.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { isBudgetSkip, type Priority } from '../out/slack-budget.js';
import type { SlackCall } from '../out/slack-call.js';
import { slackErrorCode } from '../out/slack-error.js';
import { buildHomeView, buildSessionsMessage } from '../out/views/home-view.js';
import type { Block } from '../out/views/session-row.js';
import type { SessionSummary } from '../out/views/sessions.js';
import type { Workspaces } from '../out/workspaces.js';
import { inWorkspaceOf } from '../queue/in-workspace.js';
import type { Prefs } from '../sessions/prefs.js';
import type { RequestRecord, RequestStore } from '../sessions/requests.js';
import { buildSections, type HomeSection } from './home-sections.js';

/** A thread's permalink, built from the workspace URL (no Slack call per session). */
export const permalinkFor = (
  workspaceUrl: string | undefined,
  channelId: string,
  ts: string,
): string | undefined =>
  workspaceUrl
    ? `${workspaceUrl.replace(/\/?$/, '/')}archives/${channelId}/p${ts.replace('.', '')}`
    : undefined;

/** The sections without their image blocks; the same object when they have none. */
const withoutImages = (sections: { top: Block[]; bottom: Block[] }) => {
  const keep = (blocks: Block[]) => blocks.filter((b) => b.type !== 'image');
  const top = keep(sections.top);
  const bottom = keep(sections.bottom);
  return top.length === sections.top.length && bottom.length === sections.bottom.length
    ? sections
    : { top, bottom };
};

/** A user who opened the Home tab this recently is taken to be looking at it. */
export const HOME_LOOKING_MS = 10 * 60_000;

export interface OverviewDeps {
  client: Pick<WebClient, 'views' | 'chat'>;
  /** The shared Slack budget (out/slack-budget.ts); without it, views.publish goes unpaced. */
  call?: SlackCall | undefined;
  requests: Pick<RequestStore, 'listForUser'>;
  prefs: Prefs;
  identity: Pick<SlackIdentity, 'url' | 'botUserId'>;
  logger: Logger;
  /** Re-publishes within this window are coalesced into one (views.publish is Tier 4, ~100/min). */
  coalesceMs?: number;
  /** The Home tab's other sections (usage, Admin), in order. */
  sections?: readonly HomeSection[];
  /** A coalesced re-publish runs on a timer, outside the work that asked for it: it enters its workspace itself. */
  workspaces: Pick<Workspaces, 'lookup'>;
}

/**
 * The sessions overview: the App Home tab and the `/ask sessions` list, a user's own requests,
 * never anyone else's, and the DM when a background result is ready. One per process, kept up to
 * date from any process's changes. Its buttons are `actions.ts`.
 */
export const createOverviewService = (deps: OverviewDeps) => {
  const log = deps.logger.child({ component: 'home' });
  const coalesceMs = deps.coalesceMs ?? 1_500;
  // One timer per user with a change in the last `coalesceMs`; each removes itself when it fires,
  // so this holds at most the users active within one window.
  const pending = new Map<string, NodeJS.Timeout>();
  const permalinks = (s: SessionSummary) => permalinkFor(deps.identity.url, s.channelId, s.threadTs);
  // Every answered request has its result stored, foreground or background (View result shows it,
  // with the answer's ratings).
  const hasResult = (r: RequestRecord) => r.state === 'done';
  /** A Slack call through the shared budget, when there is one. */
  const slack = <T>(
    method: string,
    channel: string,
    fn: () => Promise<T>,
    priority?: Priority,
  ): Promise<T> => (deps.call ? deps.call(method, channel, fn, priority ? { priority } : {}) : fn());

  /**
   * The page lives in Redis, not in this process: a re-publish after a state change (in whichever
   * web or worker process made it) has no click payload to read it from, and Slack has no way to
   * read a published view back, so `private_metadata` alone cannot carry it.
   */
  const publish = async (teamId: string, userId: string, page?: number, priority?: Priority) => {
    if (page !== undefined) await deps.prefs.setHomePage(teamId, userId, page);
    const [records, shown, dmOnResult, sections] = await Promise.all([
      deps.requests.listForUser(teamId, userId),
      page ?? deps.prefs.homePage(teamId, userId),
      deps.prefs.dmOnResult(teamId, userId),
      buildSections(deps.sections ?? [], { teamId, userId }, log),
    ]);
    const viewOf = (shownSections: typeof sections) =>
      buildHomeView(records, {
        now: Date.now(),
        page: shown,
        dmOnResult,
        permalinks,
        hasResult,
        botUserId: deps.identity.botUserId,
        sections: shownSections,
      });
    const send = (view: ReturnType<typeof viewOf>) =>
      slack('views.publish', userId, () => deps.client.views.publish({ user_id: userId, view }), priority);
    try {
      await send(viewOf(sections));
    } catch (err) {
      // An image Slack will not show (the admin's usage chart, a file it cannot read) fails the whole
      // view: the tab is published without the sections' images rather than not at all.
      const imageless = withoutImages(sections);
      if (slackErrorCode(err) !== 'invalid_blocks' || imageless === sections) throw err;
      log.warn(
        { userId, err: errorFields(err) },
        'Slack refused the Home tab with its images; published without',
      );
      await send(viewOf(imageless));
    }
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
        // views.publish is Tier 4: spend it only on users who have opened the Home tab. For one who
        // opened it lately it waits its turn (background); for one who is likely not looking it is
        // optional, skipped when the budget is short (the tab is published afresh when they open it).
        inWorkspaceOf({ workspaces: deps.workspaces, logger: log }, { teamId }, async () => {
          const at = await deps.prefs.homeOpenedAt(teamId, userId);
          if (at === undefined) return;
          await publish(
            teamId,
            userId,
            undefined,
            Date.now() - at < HOME_LOOKING_MS ? 'background' : 'optional',
          );
        }).catch((err: unknown) => {
          if (isBudgetSkip(err)) log.debug({ userId }, 'home re-publish skipped: slack budget short');
          else log.warn({ userId, err: errorFields(err) }, 'home publish failed');
        });
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
      await slack('chat.postMessage', record.userId, () =>
        deps.client.chat.postMessage({
          channel: record.userId,
          text: `📬 Your answer to “${title}” is ready${link ? `: ${link}` : ' in its thread.'} Open the Home tab to read it.`,
          unfurl_links: false,
        }),
      );
      // The preference is in use: keep it (the DM already went out).
      await bestEffort(log.child({ userId: record.userId }), 'prefs expiry refresh', () =>
        deps.prefs.touch(record.teamId, record.userId),
      );
    },
  };
};

export type OverviewService = ReturnType<typeof createOverviewService>;
