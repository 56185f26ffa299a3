import type { types } from '@slack/bolt';
import type { RequestRecord } from '../../core/request-types.js';
import { ACTION_IDS, actionButton } from './actions.js';
import { mrkdwn, plainText, safeUrl } from './escape.js';
import { feedbackCountsText } from './feedback.js';
import { channelLabel, formatAge, stateLabel } from './labels.js';
import { type SessionSummary, sessionFeedback } from './sessions.js';

/**
 * One session's row in the overview, always four blocks, so paging is a plain page index:
 *   section  (plain_text)  "📬 How do I rotate the staging keys?"   ← title of the newest request
 *   context  (mrkdwn)      "#ops · ⏳ Queued, #3 in line · 3 min ago · 2 questions · 👍 2 · 👎 1"
 *   actions                [Open thread] [View result] [Mark read] [Cancel] [Retry], as the state needs
 *   divider
 */

export type Block = types.KnownBlock;

/** Blocks each session row takes (section, context, actions, divider). */
export const BLOCKS_PER_SESSION = 4;
/** A title is "first words"; longer ones are shortened so rows stay one or two lines. */
export const TITLE_MAX_CHARS = 150;
/** A failure reason is short by contract; this bounds a long one. */
export const REASON_MAX_CHARS = 300;

/**
 * Where the Open thread button points: a map keyed by session key (`channelId:threadTs`) or request
 * id, or a function. Sessions without a (valid https) permalink get an action button instead, which
 * the handler answers with the link.
 */
export type PermalinkLookup =
  | Readonly<Record<string, string>>
  | ((session: SessionSummary) => string | undefined);

export interface SessionListOptions {
  /** Epoch ms; ages are computed from it. */
  now: number;
  /** 0-based page index; clamped to the pages there are. */
  page?: number;
  permalinks?: PermalinkLookup;
  /** Whether a done request has a stored result (View result). Default: every done request. */
  hasResult?: (record: RequestRecord) => boolean;
  /** The bot's user id, to show `@Backchannel` as a real mention in the empty state. */
  botUserId?: string;
}

/**
 * *Open thread*: a `url` button when the permalink is a valid https link (Slack still sends the
 * click, which the handler only acks), otherwise an action button the handler answers with the link.
 */
export const openThreadButton = (requestId: string, permalink: string | undefined): types.Button => {
  const url = safeUrl(permalink);
  const base = actionButton(ACTION_IDS.openThread, 'Open thread', requestId);
  return url ? { ...base, url } : base;
};

const lookupPermalink = (
  session: SessionSummary,
  lookup: PermalinkLookup | undefined,
): string | undefined => {
  if (!lookup) return undefined;
  if (typeof lookup === 'function') return safeUrl(lookup(session));
  const own = (key: string) => (Object.hasOwn(lookup, key) ? safeUrl(lookup[key]) : undefined);
  return own(session.key) ?? own(session.latest.id) ?? session.requests.map((r) => own(r.id)).find(Boolean);
};

const defaultHasResult = (record: RequestRecord): boolean => record.state === 'done';

/**
 * The buttons a session needs, in this order: Open thread (always); View result (a done request
 * with a stored result: the unread one, else the newest); Mark read (only while unread); Cancel
 * (newest queued or running); Retry (newest failed or cancelled).
 */
export const sessionButtons = (
  session: SessionSummary,
  opts: Pick<SessionListOptions, 'permalinks' | 'hasResult'>,
): types.Button[] => {
  const { latest, unread } = session;
  const hasResult = opts.hasResult ?? defaultHasResult;
  const canView = (r: RequestRecord | undefined): r is RequestRecord =>
    r !== undefined && r.state === 'done' && hasResult(r);
  const viewable = canView(unread) ? unread : canView(latest) ? latest : undefined;

  const buttons = [openThreadButton(latest.id, lookupPermalink(session, opts.permalinks))];
  if (viewable) buttons.push(actionButton(ACTION_IDS.viewResult, 'View result', viewable.id, 'primary'));
  if (unread) buttons.push(actionButton(ACTION_IDS.markRead, 'Mark read', unread.id));
  if (latest.state === 'queued' || latest.state === 'running') {
    buttons.push(actionButton(ACTION_IDS.cancel, 'Cancel', latest.id, 'danger'));
  }
  if (latest.state === 'failed' || latest.state === 'cancelled') {
    buttons.push(actionButton(ACTION_IDS.retry, 'Retry', latest.id));
  }
  return buttons;
};

/** One session row: exactly {@link BLOCKS_PER_SESSION} blocks. */
export const sessionRow = (session: SessionSummary, opts: SessionListOptions): Block[] => {
  const { latest, unread } = session;
  const title = latest.title.trim() === '' ? '(no question text)' : latest.title;
  const meta = [channelLabel(session.channelId), stateLabel(latest), formatAge(opts.now - latest.updatedAt)];
  if (session.requests.length > 1) meta.push(`${session.requests.length} questions`);
  if (unread && unread !== latest) meta.push('📬 an earlier answer is unread');
  const rated = feedbackCountsText(sessionFeedback(session));
  if (rated) meta.push(rated);

  const context: types.ContextBlock['elements'] = [mrkdwn(meta.join(' · '))];
  if (latest.state === 'failed' && latest.error && latest.error.trim() !== '') {
    context.push(plainText(`Reason: ${latest.error}`, REASON_MAX_CHARS));
  }
  return [
    { type: 'section', text: plainText(`${unread ? '📬 ' : ''}${title}`, TITLE_MAX_CHARS) },
    { type: 'context', elements: context },
    { type: 'actions', elements: sessionButtons(session, opts) },
    { type: 'divider' },
  ];
};
