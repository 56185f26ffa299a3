import type { types } from '@slack/bolt';
import type { RequestRecord, RequestState } from '../../core/request-types.js';
import { ACTION_IDS, type ActionId, type ActionValue, encodeActionValue } from './actions.js';
import { inlineMrkdwn, mrkdwn, ownPlainText, plainText, SLACK_LIMITS, safeUrl } from './escape.js';

/**
 * The sessions overview: the App Home tab (`app_home_opened`) and the `/ask sessions` ephemeral
 * list. Pure builders: records and `now` in, Block Kit JSON out.
 *
 * One thread is one session; a session holds the user's requests in that thread. A session row is
 * four blocks, always:
 *   section  (plain_text)  "📬 How do I rotate the staging keys?"   ← title of the newest request
 *   context  (mrkdwn)      "#ops · ⏳ Queued, #3 in line · 3 min ago · 2 questions"
 *   actions                [Open thread] [View result] [Mark read] [Cancel] [Retry], as the state needs
 *   divider
 * The fixed size makes paging a plain page index: page n shows sessions n·size … (n+1)·size − 1.
 */

export type Block = types.KnownBlock;

/** A Home view whose blocks are known block types (what we build), for callers and tests to inspect. */
export type HomeView = types.HomeView & { blocks: Block[] };

/** Blocks each session row takes (section, context, actions, divider). */
export const BLOCKS_PER_SESSION = 4;
/** Home tab blocks besides the rows: header, counts, DM preference, divider; paging context and actions. */
export const HOME_FIXED_BLOCKS = 6;
/** `/ask sessions` blocks besides the rows: summary, divider; paging context and actions. */
export const MESSAGE_FIXED_BLOCKS = 4;
/** Sessions per Home page: as many rows as fit in 100 blocks next to the fixed ones (23). */
export const HOME_SESSIONS_PER_PAGE = Math.floor(
  (SLACK_LIMITS.viewBlocks - HOME_FIXED_BLOCKS) / BLOCKS_PER_SESSION,
);
/** Sessions per `/ask sessions` page: as many rows as fit in 50 blocks (11). */
export const MESSAGE_SESSIONS_PER_PAGE = Math.floor(
  (SLACK_LIMITS.messageBlocks - MESSAGE_FIXED_BLOCKS) / BLOCKS_PER_SESSION,
);
/** A title is "first words"; longer ones are shortened so rows stay one or two lines. */
export const TITLE_MAX_CHARS = 150;
/** A failure reason is short by contract; this bounds a long one. */
export const REASON_MAX_CHARS = 300;

export interface SessionSummary {
  /** `channelId:threadTs`; also a key of the permalinks map. */
  key: string;
  channelId: string;
  threadTs: string;
  /** The user's requests in this thread, newest activity first. */
  requests: RequestRecord[];
  /** The newest request: the row's title, state and age come from it. */
  latest: RequestRecord;
  /** The newest request whose result the user has not seen, if any (target of View result / Mark read). */
  unread?: RequestRecord;
  updatedAt: number;
}

export interface SessionCounts {
  unread: number;
  queued: number;
  running: number;
  failed: number;
}

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

export interface HomeViewOptions extends SessionListOptions {
  /** The user's "DM me when a background result is ready" preference. */
  dmOnResult: boolean;
}

export const sessionKey = (channelId: string, threadTs: string): string => `${channelId}:${threadTs}`;

const byNewest = (a: RequestRecord, b: RequestRecord): number =>
  b.updatedAt - a.updatedAt || b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * The user's requests grouped by thread (`channelId` + `threadTs`), newest activity first. A request
 * id seen twice keeps its most recently updated record.
 */
export const groupSessions = (records: readonly RequestRecord[]): SessionSummary[] => {
  const byId = new Map<string, RequestRecord>();
  for (const record of records) {
    const seen = byId.get(record.id);
    if (!seen || record.updatedAt > seen.updatedAt) byId.set(record.id, record);
  }
  const byThread = new Map<string, RequestRecord[]>();
  for (const record of byId.values()) {
    const key = sessionKey(record.channelId, record.threadTs);
    const list = byThread.get(key);
    if (list) list.push(record);
    else byThread.set(key, [record]);
  }
  const sessions: SessionSummary[] = [];
  for (const [key, requests] of byThread) {
    requests.sort(byNewest);
    const latest = requests[0];
    if (!latest) continue;
    const unread = requests.find((r) => r.unread);
    sessions.push({
      key,
      channelId: latest.channelId,
      threadTs: latest.threadTs,
      requests,
      latest,
      ...(unread ? { unread } : {}),
      updatedAt: latest.updatedAt,
    });
  }
  return sessions.sort((a, b) => b.updatedAt - a.updatedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
};

/** Counts over all of the user's requests (not only the page shown). */
export const countRequests = (records: readonly RequestRecord[]): SessionCounts => {
  const counts: SessionCounts = { unread: 0, queued: 0, running: 0, failed: 0 };
  for (const r of records) {
    if (r.unread) counts.unread += 1;
    if (r.state === 'queued') counts.queued += 1;
    else if (r.state === 'running') counts.running += 1;
    else if (r.state === 'failed') counts.failed += 1;
  }
  return counts;
};

/** "just now", "3 min ago", "5 h ago", "2 days ago"; a timestamp in the future counts as now. */
export const formatAge = (ms: number): string => {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day ago' : `${days} days ago`;
};

/** "850 ms", "12.3 s", "3 min 05 s", "1 h 02 min". */
export const formatDuration = (ms: number): string => {
  const safe = Math.max(0, Math.round(ms));
  if (safe < 1000) return `${safe} ms`;
  if (safe < 60_000) return `${(safe / 1000).toFixed(1)} s`;
  const seconds = Math.round(safe / 1000);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
};

const STATE_LABELS: Readonly<Record<RequestState, string>> = {
  answering: '✍️ Answering now',
  queued: '⏳ Queued',
  running: '⚙️ Running',
  done: '✅ Done',
  failed: '⚠️ Failed',
  cancelled: '🚫 Cancelled',
};

export const stateLabel = (record: Pick<RequestRecord, 'state' | 'position'>): string =>
  record.state === 'queued' && record.position !== undefined && record.position > 0
    ? `${STATE_LABELS.queued}, #${Math.floor(record.position)} in line`
    : STATE_LABELS[record.state];

// Slack ids, validated before they go inside `<#…>` / `<@…>` (they come from our records, but a
// malformed one must not become markup).
const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;
const DM_ID = /^D[A-Z0-9]{2,}$/;
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** `<#C123>` renders the channel's name for the viewer; a DM is named as such. */
export const channelLabel = (channelId: string): string => {
  if (DM_ID.test(channelId)) return 'Direct message';
  if (CHANNEL_ID.test(channelId)) return `<#${channelId}>`;
  return inlineMrkdwn(channelId, 40);
};

const button = <A extends ActionId>(
  actionId: A,
  label: string,
  value: ActionValue<A>,
  style?: 'primary' | 'danger',
): types.Button => ({
  type: 'button',
  action_id: actionId,
  text: ownPlainText(label, SLACK_LIMITS.buttonTextChars),
  value: encodeActionValue(actionId, value),
  ...(style ? { style } : {}),
});

/**
 * *Open thread*: a `url` button when the permalink is a valid https link (Slack still sends the
 * click, which the handler only acks), otherwise an action button the handler answers with the link.
 */
export const openThreadButton = (requestId: string, permalink: string | undefined): types.Button => {
  const url = safeUrl(permalink);
  const base = button(ACTION_IDS.openThread, 'Open thread', requestId);
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
  if (viewable) buttons.push(button(ACTION_IDS.viewResult, 'View result', viewable.id, 'primary'));
  if (unread) buttons.push(button(ACTION_IDS.markRead, 'Mark read', unread.id));
  if (latest.state === 'queued' || latest.state === 'running') {
    buttons.push(button(ACTION_IDS.cancel, 'Cancel', latest.id, 'danger'));
  }
  if (latest.state === 'failed' || latest.state === 'cancelled') {
    buttons.push(button(ACTION_IDS.retry, 'Retry', latest.id));
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

export interface Page<T> {
  items: T[];
  /** 0-based index of this page, after clamping. */
  index: number;
  /** Number of pages (at least 1). */
  count: number;
  /** Index of the first item of this page in the whole list. */
  start: number;
  total: number;
}

/** A page of `perPage` items; a requested index out of range (stale button) shows the nearest page. */
export const paginate = <T>(items: readonly T[], perPage: number, requested = 0): Page<T> => {
  const count = Math.max(1, Math.ceil(items.length / perPage));
  const index = Math.min(Math.max(0, Number.isFinite(requested) ? Math.floor(requested) : 0), count - 1);
  const start = index * perPage;
  return { items: items.slice(start, start + perPage), index, count, start, total: items.length };
};

/** "Sessions 24–46 of 500" and the Newer / Older buttons; nothing when everything fits one page. */
const pagingBlocks = (page: Page<unknown>, note = ''): Block[] => {
  if (page.count <= 1) return [];
  const first = page.start + 1;
  const last = page.start + page.items.length;
  const buttons: types.Button[] = [];
  if (page.index > 0) buttons.push(button(ACTION_IDS.newer, '← Newer sessions', page.index - 1));
  if (page.index < page.count - 1) buttons.push(button(ACTION_IDS.older, 'Older sessions →', page.index + 1));
  return [
    { type: 'context', elements: [mrkdwn(`Sessions ${first}–${last} of ${page.total}${note}`)] },
    { type: 'actions', elements: buttons },
  ];
};

const countsLine = (c: SessionCounts): string =>
  `📬 *${c.unread}* unread · ⏳ *${c.queued}* queued · ⚙️ *${c.running}* running · ⚠️ *${c.failed}* failed`;

/** How to start, for a user with no sessions yet (our own mrkdwn; `<` escaped). */
export const onboardingText = (botUserId?: string): string => {
  const bot = botUserId && USER_ID.test(botUserId) ? `<@${botUserId}>` : '*@Backchannel*';
  return [
    '*Ask Backchannel anything.* Each thread is a session: follow-up questions in the thread keep the context.',
    `• Mention ${bot} in a channel or in a thread: the answer comes in the thread.`,
    '• Send me a direct message.',
    '• `/ask &lt;question&gt;` in a channel: an answer right away.',
    '• `/ask later &lt;question&gt;`: a background answer for bigger questions; keep working, it shows up when ready.',
    '• `/ask sessions`: this list, wherever you are.',
    'Your sessions and background results show up here, newest first; 📬 marks a result you have not seen yet.',
  ].join('\n');
};

const dmPreferenceBlock = (on: boolean): Block => ({
  type: 'section',
  text: mrkdwn(
    on
      ? '*DM me when a background result is ready:* on\nYou get a direct message with a link when a background answer is done.'
      : '*DM me when a background result is ready:* off\nBackground results show up here, marked 📬.',
  ),
  accessory: button(
    ACTION_IDS.toggleDm,
    on ? 'Turn off' : 'Turn on',
    on ? 'off' : 'on',
    on ? undefined : 'primary',
  ),
});

/**
 * The Home tab: a header with counts, the DM preference, one page of sessions (newest activity
 * first), Newer / Older paging; or, with no sessions, how to start. `private_metadata` mirrors the
 * page index shown (decode it with `decodeActionValue(ACTION_IDS.older, view.private_metadata)`);
 * the overview service keeps the page itself in Redis, since a re-publish after a state change has no
 * click payload to read it from.
 */
export const buildHomeView = (records: readonly RequestRecord[], opts: HomeViewOptions): HomeView => {
  const sessions = groupSessions(records);
  if (sessions.length === 0) {
    return {
      type: 'home',
      private_metadata: '0',
      blocks: [
        { type: 'header', text: ownPlainText('Welcome to Backchannel 👋', SLACK_LIMITS.headerChars) },
        { type: 'section', text: mrkdwn(onboardingText(opts.botUserId)) },
        { type: 'divider' },
        dmPreferenceBlock(opts.dmOnResult),
      ],
    };
  }
  const page = paginate(sessions, HOME_SESSIONS_PER_PAGE, opts.page);
  return {
    type: 'home',
    private_metadata: String(page.index),
    blocks: [
      { type: 'header', text: ownPlainText('Your Backchannel sessions', SLACK_LIMITS.headerChars) },
      { type: 'context', elements: [mrkdwn(countsLine(countRequests(records)))] },
      dmPreferenceBlock(opts.dmOnResult),
      { type: 'divider' },
      ...page.items.flatMap((s) => sessionRow(s, opts)),
      ...pagingBlocks(page),
    ],
  };
};

/**
 * `/ask sessions`: the same rows as an ephemeral message (at most 50 blocks), with a notification
 * `text`. Its Newer / Older buttons carry the same action ids; the handler tells them from the
 * Home tab's by `container.type === 'message'` and replaces the message through `response_url`.
 */
export const buildSessionsMessage = (
  records: readonly RequestRecord[],
  opts: SessionListOptions,
): { text: string; blocks: Block[] } => {
  const sessions = groupSessions(records);
  if (sessions.length === 0) {
    return {
      text: 'You have no Backchannel sessions yet.',
      blocks: [{ type: 'section', text: mrkdwn(onboardingText(opts.botUserId)) }],
    };
  }
  const counts = countRequests(records);
  const page = paginate(sessions, MESSAGE_SESSIONS_PER_PAGE, opts.page);
  return {
    text: `Your Backchannel sessions: ${counts.unread} unread, ${counts.queued} queued, ${counts.running} running, ${counts.failed} failed.`,
    blocks: [
      { type: 'section', text: mrkdwn(`*Your Backchannel sessions*\n${countsLine(counts)}`) },
      { type: 'divider' },
      ...page.items.flatMap((s) => sessionRow(s, opts)),
      ...pagingBlocks(page, ' · all of them are on the Backchannel Home tab'),
    ],
  };
};
