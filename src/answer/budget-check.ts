import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Block } from '../out/views/session-row.js';
import { type BudgetOverrides, nextUtcMidnight, type UsageStore } from '../sessions/usage.js';

export interface BudgetCheckDeps {
  config: Pick<Config, 'budgets'>;
  usage: Pick<UsageStore, 'usedToday'>;
  overrides: Pick<BudgetOverrides, 'get'>;
  now?: () => number;
}

export type BudgetVerdict =
  | { ok: true }
  | { ok: false; who: 'user' | 'team'; limit: number; text: string; blocks: Block[] };

const n = (v: number) => v.toLocaleString('en-US');

const utc = (at: number) => `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * When the budgets reset, in the reader's own time zone (Slack's date formatting, with the UTC
 * time as its fallback). The poster neutralises `<!…>` in message text, so this goes in blocks;
 * the notification text says the UTC time.
 */
export const resetText = (resetAt: number): string =>
  `<!date^${Math.floor(resetAt / 1000)}^{date_short_pretty} at {time}|${utc(resetAt)}>`;

const refusal = (who: 'user' | 'team', limit: number, resetAt: number) => {
  const said = (when: string) =>
    who === 'team'
      ? `This workspace has used its daily budget of ${n(limit)} tokens, so I can't answer right now. It resets ${when}.`
      : `You've used your daily budget of ${n(limit)} tokens, so I can't answer right now. It resets ${when}; a workspace admin can raise it.`;
  return {
    text: said(utc(resetAt)),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: said(resetText(resetAt)) } }] as Block[],
  };
};

/** A user's daily budget: an admin's override, else USER_DAILY_TOKENS (0: no limit). */
export const userLimitOf = async (
  deps: Pick<BudgetCheckDeps, 'config' | 'overrides'>,
  teamId: string,
  userId: string,
): Promise<number> => (await deps.overrides.get(teamId, userId)) ?? deps.config.budgets.userDailyTokens;

/**
 * Whether a new request may start: its user and its workspace still have daily tokens left
 * (counted in Redis by every process, sessions/usage.ts). Checked once per request, before anything
 * is posted; an answer already running is never cut (its tokens count when it ends, so a budget
 * may end a little over its limit).
 */
export const createBudgetCheck = (deps: BudgetCheckDeps) => {
  const now = deps.now ?? Date.now;
  const check = async (teamId: string, userId: string): Promise<BudgetVerdict> => {
    const { teamDailyTokens: teamLimit, userDailyTokens } = deps.config.budgets;
    const at = now();
    // With a budget set, the user's limit and the day's counts are read together (one round trip);
    // without one, only an admin's override for this user can set a limit.
    const usedNow = () => deps.usage.usedToday({ teamId, userId }, at);
    const anyBudget = teamLimit > 0 || userDailyTokens > 0;
    const [userLimit, counted] = await Promise.all([
      userLimitOf(deps, teamId, userId),
      anyBudget ? usedNow() : undefined,
    ]);
    if (teamLimit <= 0 && userLimit <= 0) return { ok: true };
    const used = counted ?? (await usedNow());
    const resetAt = nextUtcMidnight(at);
    if (teamLimit > 0 && used.team >= teamLimit)
      return { ok: false, who: 'team', limit: teamLimit, ...refusal('team', teamLimit, resetAt) };
    if (userLimit > 0 && used.user >= userLimit)
      return { ok: false, who: 'user', limit: userLimit, ...refusal('user', userLimit, resetAt) };
    return { ok: true };
  };
  return {
    check,
    /** The private refusal for a request over a budget (logged), or undefined when it may go on. */
    async refusal(
      teamId: string,
      userId: string,
      log: Logger,
    ): Promise<{ text: string; blocks: Block[] } | undefined> {
      const verdict = await check(teamId, userId);
      if (verdict.ok) return undefined;
      log.info({ over: verdict.who, limit: verdict.limit }, 'request refused: daily token budget used');
      return { text: verdict.text, blocks: verdict.blocks };
    },
  };
};

export type BudgetCheck = ReturnType<typeof createBudgetCheck>;
