import type { types } from '@slack/bolt';
import type { RequestRecord } from '../../core/request-types.js';
import { ACTION_IDS, actionButton } from './actions.js';
import { mrkdwn, ownPlainText, SLACK_LIMITS } from './escape.js';
import { paginate, pagingBlocks } from './paging.js';
import { BLOCKS_PER_SESSION, type Block, type SessionListOptions, sessionRow } from './session-row.js';
import { countRequests, groupSessions, type SessionCounts } from './sessions.js';

/**
 * The sessions overview: the App Home tab (`app_home_opened`) and the `/ask sessions` ephemeral
 * list. Pure builders: records and `now` in, Block Kit JSON out. The sessions come from
 * sessions.ts, each as one row of session-row.ts; paging.ts pages them.
 */

/** A Home view whose blocks are known block types (what we build), for callers and tests to inspect. */
export type HomeView = types.HomeView & { blocks: Block[] };

/** Home tab blocks besides the rows: header, counts, DM preference, divider; paging context and actions. */
export const HOME_FIXED_BLOCKS = 6;
/** `/ask sessions` blocks besides the rows: summary, divider; paging context and actions. */
export const MESSAGE_FIXED_BLOCKS = 4;
/**
 * Blocks the Home tab keeps for its other sections (src/overview/home-sections.ts: the user's usage,
 * and for admins the Admin section); more are cut.
 */
export const HOME_SECTION_BLOCKS = 24;
/** Sessions per Home page: as many rows as fit in 100 blocks next to the fixed ones and the sections (17). */
export const HOME_SESSIONS_PER_PAGE = Math.floor(
  (SLACK_LIMITS.viewBlocks - HOME_FIXED_BLOCKS - HOME_SECTION_BLOCKS) / BLOCKS_PER_SESSION,
);
/** Sessions per `/ask sessions` page: as many rows as fit in 50 blocks (11). */
export const MESSAGE_SESSIONS_PER_PAGE = Math.floor(
  (SLACK_LIMITS.messageBlocks - MESSAGE_FIXED_BLOCKS) / BLOCKS_PER_SESSION,
);

export interface HomeViewOptions extends SessionListOptions {
  /** The user's "DM me when a background result is ready" preference. */
  dmOnResult: boolean;
  /**
   * The Home tab's other sections (home-sections.ts), already built: `top` goes under the header,
   * `bottom` after the sessions. At most HOME_SECTION_BLOCKS of them in all, `top` first.
   */
  sections?: { top: Block[]; bottom: Block[] };
}

/** The sections' blocks, within their share of the view. */
const sectionBlocks = (sections: HomeViewOptions['sections']) => {
  const top = (sections?.top ?? []).slice(0, HOME_SECTION_BLOCKS);
  const bottom = (sections?.bottom ?? []).slice(0, HOME_SECTION_BLOCKS - top.length);
  return { top, bottom };
};

// The bot's user id, validated before it goes inside `<@…>`.
const USER_ID = /^[UW][A-Z0-9]{2,}$/;

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
  accessory: actionButton(
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
  const { top, bottom } = sectionBlocks(opts.sections);
  if (sessions.length === 0) {
    return {
      type: 'home',
      private_metadata: '0',
      blocks: [
        { type: 'header', text: ownPlainText('Welcome to Backchannel 👋', SLACK_LIMITS.headerChars) },
        ...top,
        { type: 'section', text: mrkdwn(onboardingText(opts.botUserId)) },
        { type: 'divider' },
        dmPreferenceBlock(opts.dmOnResult),
        ...bottom,
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
      ...top,
      dmPreferenceBlock(opts.dmOnResult),
      { type: 'divider' },
      ...page.items.flatMap((s) => sessionRow(s, opts)),
      ...pagingBlocks(page),
      ...bottom,
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
