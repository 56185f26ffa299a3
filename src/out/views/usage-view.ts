import type { types } from '@slack/bolt';
import type { Block } from './session-row.js';

/** A period's usage, as far as it is shown (sessions/usage.ts has the rest). */
interface UsageTotals {
  tokens: number;
  costUsd: number;
}

/**
 * Token usage as people see it: the user's own bar (Home, top), the workspace's usage for admins
 * (Home, bottom: totals, top users, the 30-day chart, "Set a user's budget"), `/ask usage`, and the
 * budget modal. Pure builders.
 */

export const BUDGET_IDS = Object.freeze({
  /** "Set a user's budget" on an admin's Home. */
  open: 'bcb_budget_open',
  /** The modal; its blocks and inputs. */
  modal: 'bcb_budget_modal',
  userBlock: 'bcb_budget_user',
  userInput: 'user',
  tokensBlock: 'bcb_budget_tokens',
  tokensInput: 'tokens',
} as const);

/** The largest daily budget the modal takes (a typo of three extra zeros stays visible). */
export const MAX_BUDGET_TOKENS = 1_000_000_000;

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const usd = (v: number) => `$${v < 1 ? v.toFixed(4) : v.toFixed(2)}`;

/** `▰▰▰▱▱▱▱▱▱▱ 31%`: ten segments, full at (or past) the limit. */
export const usageBar = (used: number, limit: number): string => {
  const ratio = limit > 0 ? used / limit : 0;
  const filled = Math.min(10, Math.max(0, Math.round(ratio * 10)));
  return `${'▰'.repeat(filled)}${'▱'.repeat(10 - filled)} ${Math.round(ratio * 100)}%`;
};

/** One line: against a limit as a bar, or the count alone when there is none. */
export const usageLine = (used: number, limit: number, when: 'today' | 'this month'): string =>
  limit > 0
    ? `${usageBar(used, limit)} · ${n(used)} of ${n(limit)} tokens ${when}`
    : `${n(used)} tokens ${when}${when === 'today' ? ' (no daily limit)' : ''}`;

export interface UserUsage {
  day: UsageTotals;
  month: UsageTotals;
  /** The user's daily budget (0: none). */
  dailyLimit: number;
}

const userLines = (u: UserUsage): string[] => [
  usageLine(u.day.tokens, u.dailyLimit, 'today'),
  // A month's budget is the daily one times the days of the month, as far as a bar goes.
  `${n(u.month.tokens)} tokens this month`,
];

/** The user's own usage on Home (one block). */
export const userUsageBlocks = (u: UserUsage): Block[] => [
  { type: 'section', text: { type: 'mrkdwn', text: `*Your usage*\n${userLines(u).join('\n')}` } },
];

export interface WorkspaceUsage {
  day: UsageTotals;
  month: UsageTotals;
  /** TEAM_DAILY_TOKENS (0: none). */
  dailyLimit: number;
  topToday: { userId: string; tokens: number }[];
  topMonth: { userId: string; tokens: number }[];
  /** Whether a price table is set: costs are shown then. */
  priced: boolean;
}

const topLine = (top: WorkspaceUsage['topToday']) =>
  top.length ? top.map((t) => `<@${t.userId}> ${n(t.tokens)}`).join(' · ') : 'nobody yet';

const workspaceLines = (w: WorkspaceUsage): string[] => [
  `${usageLine(w.day.tokens, w.dailyLimit, 'today')}${w.priced ? ` · ${usd(w.day.costUsd)}` : ''}`,
  `${n(w.month.tokens)} tokens this month${w.priced ? ` · ${usd(w.month.costUsd)}` : ''}`,
  `*Top today:* ${topLine(w.topToday)}`,
  `*Top this month:* ${topLine(w.topMonth)}`,
];

/** The admin's section on Home (at most 5 blocks): totals, top users, the chart, the budget button. */
export const adminUsageBlocks = (w: WorkspaceUsage, chartFileId: string | undefined): Block[] => [
  { type: 'divider' },
  { type: 'header', text: { type: 'plain_text', text: 'Workspace usage (admins)' } },
  { type: 'section', text: { type: 'mrkdwn', text: workspaceLines(w).join('\n') } },
  ...(chartFileId
    ? [
        {
          type: 'image',
          slack_file: { id: chartFileId },
          alt_text: 'Tokens used per day, last 30 days',
          title: { type: 'plain_text', text: 'Tokens per day, last 30 days' },
        } as Block,
      ]
    : []),
  {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: BUDGET_IDS.open,
        text: { type: 'plain_text', text: "Set a user's budget" },
      },
    ],
  },
];

/** `/ask usage`: the user's own, and for admins the workspace's too (text only). */
export const usageMessage = (u: UserUsage, w: WorkspaceUsage | undefined): string =>
  ['*Your usage*', ...userLines(u), ...(w ? ['', '*Workspace usage*', ...workspaceLines(w)] : [])].join('\n');

/** The admin's modal: whose daily budget, and how many tokens. */
export const budgetModal = (defaultLimit: number): types.View => ({
  type: 'modal',
  callback_id: BUDGET_IDS.modal,
  title: { type: 'plain_text', text: 'Daily token budget' },
  submit: { type: 'plain_text', text: 'Save' },
  close: { type: 'plain_text', text: 'Cancel' },
  blocks: [
    {
      type: 'input',
      block_id: BUDGET_IDS.userBlock,
      label: { type: 'plain_text', text: 'User' },
      element: { type: 'users_select', action_id: BUDGET_IDS.userInput },
    },
    {
      type: 'input',
      block_id: BUDGET_IDS.tokensBlock,
      label: { type: 'plain_text', text: 'Tokens per day' },
      hint: {
        type: 'plain_text',
        text: `The default is ${defaultLimit > 0 ? n(defaultLimit) : 'no limit'}; 0 means no limit.`,
      },
      element: {
        type: 'number_input',
        action_id: BUDGET_IDS.tokensInput,
        is_decimal_allowed: false,
        min_value: '0',
        max_value: String(MAX_BUDGET_TOKENS),
      },
    },
  ],
});
