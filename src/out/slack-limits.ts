/**
 * Slack's per-method Web API limits, the one table every pace in out/ derives from. Limits are per
 * method, per workspace, per app, and shared by every process of the app (Slack: "Rate limits",
 * https://docs.slack.dev/apis/web-api/rate-limits). Tier 2 is 20+ a minute, Tier 3 50+, Tier 4
 * 100+; chat.postMessage allows about one a second per channel. Each tier below was read off the
 * method's page (reactions.remove is Tier 2, not 3 like reactions.add; chat.stopStream Tier 2).
 * `burst` is our choice: Slack allows bursts without publishing a number.
 *
 * Methods missing here (assistant.threads.setStatus, whose limit Slack calls "special" without a
 * number; auth.test; users.info) are not paced, but a 429 still pauses them everywhere.
 */
export interface MethodLimit {
  /** Slack's published rate (calls per minute per workspace, or per channel with `perChannel`). */
  perMinute: number;
  /** Calls that may go out back to back before the rate applies. */
  burst: number;
  /** The limit applies per channel (chat.postMessage), not per workspace. */
  perChannel?: boolean;
  tier: string;
}

export const SLACK_LIMITS: Readonly<Record<string, MethodLimit>> = Object.freeze({
  'chat.postMessage': { tier: 'special (~1/s per channel)', perMinute: 60, burst: 3, perChannel: true },
  'chat.update': { tier: 'Tier 3', perMinute: 50, burst: 5 },
  'chat.delete': { tier: 'Tier 3', perMinute: 50, burst: 5 },
  'chat.postEphemeral': { tier: 'Tier 4', perMinute: 100, burst: 10 },
  'chat.startStream': { tier: 'Tier 2', perMinute: 20, burst: 3 },
  'chat.appendStream': { tier: 'Tier 4', perMinute: 100, burst: 10 },
  'chat.stopStream': { tier: 'Tier 2', perMinute: 20, burst: 3 },
  'reactions.add': { tier: 'Tier 3', perMinute: 50, burst: 5 },
  'reactions.remove': { tier: 'Tier 2', perMinute: 20, burst: 3 },
  'views.publish': { tier: 'Tier 4', perMinute: 100, burst: 10 },
  'conversations.replies': { tier: 'Tier 3', perMinute: 50, burst: 5 },
  'agents.sessions.setStatus': { tier: 'Tier 3', perMinute: 50, burst: 5 },
  'agents.sessions.rename': { tier: 'Tier 3', perMinute: 50, burst: 5 },
  // The policy's allowedUserGroups (cached five minutes per group).
  'usergroups.users.list': { tier: 'Tier 2', perMinute: 20, burst: 3 },
});

/**
 * The share of Slack's rate the shared budget spends (and one call less of burst), so that jitter
 * between our clock and Slack's, and a call in flight while the bucket refills, never add up to a
 * 429.
 */
export const BUDGET_SHARE = 0.9;

/** The budget the shared bucket enforces for a method: BUDGET_SHARE of the rate, one less of burst. */
export const budgetOf = (limit: MethodLimit): { perMinute: number; burst: number } => ({
  perMinute: limit.perMinute * BUDGET_SHARE,
  burst: Math.max(2, limit.burst - 1),
});
