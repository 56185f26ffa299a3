/**
 * Every Redis key the app writes, in one place. All start with the configured prefix so a test (or a
 * second deployment) can share a Redis without touching anyone else's keys.
 */
export const createKeys = (prefix: string) => {
  const thread = (teamId: string, channelId: string, threadTs: string) =>
    `${teamId}:${channelId}:${threadTs}`;
  return {
    prefix,
    /** Session record (hash) of a thread. */
    session: (teamId: string, channelId: string, threadTs: string) =>
      `${prefix}:session:${thread(teamId, channelId, threadTs)}`,
    /** Cached thread history (list of JSON turns) of a session. */
    history: (teamId: string, channelId: string, threadTs: string) =>
      `${prefix}:history:${thread(teamId, channelId, threadTs)}`,
    /** Mutual exclusion for answering one thread at a time, across processes. */
    threadLock: (teamId: string, channelId: string, threadTs: string) =>
      `${prefix}:lock:${thread(teamId, channelId, threadTs)}`,
    /** Requests waiting in a thread, scored by message ts (sorted set): answers go in this order. */
    threadQueue: (teamId: string, channelId: string, threadTs: string) =>
      `${prefix}:tq:${thread(teamId, channelId, threadTs)}`,
    /** A user's request record (hash). */
    request: (requestId: string) => `${prefix}:req:${requestId}`,
    /** A finished request's result (JSON), apart from its small record. */
    requestResult: (requestId: string) => `${prefix}:req:${requestId}:result`,
    /** The thread root the bot posted for an `/ask` request, so a re-run never posts a second one. */
    requestRoot: (requestId: string) => `${prefix}:req:${requestId}:root`,
    /** What it takes to run a request again (its answer job, as JSON), for Retry. */
    requestJob: (requestId: string) => `${prefix}:req:${requestId}:job`,
    /**
     * 👍/👎 on a request's answer (hash: `vote:<user>`, `comment:<user>`), expiring with its record.
     */
    requestFeedback: (requestId: string) => `${prefix}:req:${requestId}:feedback`,
    /**
     * Which request an answer message answers (string), written when its last message is posted: a
     * feedback click counts for the request its message belongs to. Channel ids are unique across
     * workspaces (a Slack Connect channel keeps its id), so the clicker's team is not part of it.
     */
    answerMessage: (channelId: string, ts: string) => `${prefix}:answer:${channelId}:${ts}`,
    /** A user's requests, scored by last activity (sorted set). */
    userRequests: (teamId: string, userId: string) => `${prefix}:user:${teamId}:${userId}:requests`,
    /** Requests a user was admitted with lately, scored by time (sorted set): the rate limit. */
    userRate: (teamId: string, userId: string) => `${prefix}:rate:${teamId}:${userId}`,
    /** A user's background jobs in flight (queued/running counters and sets). */
    userQueued: (teamId: string, userId: string) => `${prefix}:user:${teamId}:${userId}:queued`,
    userRunning: (teamId: string, userId: string) => `${prefix}:user:${teamId}:${userId}:running`,
    /** A user's requests with an unread result (set): what a reply in a thread may clear. */
    userUnread: (teamId: string, userId: string) => `${prefix}:user:${teamId}:${userId}:unread`,
    /** Requests in flight in one thread (set): what Slack's stop button stops. */
    threadWork: (teamId: string, channelId: string, threadTs: string) =>
      `${prefix}:work:${thread(teamId, channelId, threadTs)}`,
    /** A user's queued or running background requests (sorted set): what `/ask cancel` looks at. */
    userActive: (teamId: string, userId: string) => `${prefix}:user:${teamId}:${userId}:active`,
    userPrefs: (teamId: string, userId: string) => `${prefix}:user:${teamId}:${userId}:prefs`,
    /** The Home tab page a user paged to, shared by every process (expires). */
    userHomePage: (teamId: string, userId: string) => `${prefix}:user:${teamId}:${userId}:homepage`,
    /** Cancellation flag of a request (checked by workers during backoff and at start). */
    cancelled: (requestId: string) => `${prefix}:cancelled:${requestId}`,
    /** A Slack user's display name, as the thread reader last looked it up (expires). */
    userName: (userId: string) => `${prefix}:name:${userId}`,
    /** What a user last viewed while the bot's Messages tab was open (app_context_changed; expires). */
    userContext: (teamId: string, userId: string) => `${prefix}:user:${teamId}:${userId}:context`,
    /** Set when the Messages tab greeted a user; its expiry is the once-a-day limit. */
    userGreeted: (teamId: string, userId: string) => `${prefix}:user:${teamId}:${userId}:greeted`,
    /** Which suggested prompts the user's Messages tab has now (expires). */
    userPrompts: (teamId: string, userId: string) => `${prefix}:user:${teamId}:${userId}:prompts`,
    /** A workspace that cannot use agent sessions, and why (expires, so it is tried again later). */
    sessionsFallback: (teamId: string) => `${prefix}:team:${teamId}:sessions-fallback`,
    /** The status the bot last gave a thread's agent session (expires). */
    sessionStatus: (teamId: string, channelId: string, threadTs: string) =>
      `${prefix}:thread:${teamId}:${channelId}:${threadTs}:session-status`,
    /** A notice about a workspace's sessions (e.g. a Slack warning) already logged (expires). */
    sessionsNotice: (teamId: string, notice: string) => `${prefix}:team:${teamId}:sessions-notice:${notice}`,
    /** Pub/sub channel on which cancellations are announced to running workers. */
    cancelChannel: () => `${prefix}:cancel`,
    /** Pub/sub channel on which stops are announced to the web processes' foreground answers. */
    stopChannel: () => `${prefix}:stop`,
    /** The LLM governor's calls in flight (sorted set, scored by lease expiry), across all processes. */
    llmLeases: () => `${prefix}:llm:leases`,
    /** The LLM governor's request and token buckets, and what the provider's headers taught it (hash). */
    llmBudget: () => `${prefix}:llm:budget`,
    /** What admins changed in a workspace's settings, newest first (list of JSON entries, capped). */
    adminAudit: (teamId: string) => `${prefix}:team:${teamId}:audit`,
    /**
     * Token usage (hash: tokens, prompt, completion, cost in micro-USD, estimated) of one user, or
     * of the whole workspace, in one period: `d2026-05-30` (a UTC day) or `m2026-05` (a month). Expires.
     */
    usageUser: (teamId: string, userId: string, period: string) =>
      `${prefix}:usage:${teamId}:${period}:user:${userId}`,
    usageTeam: (teamId: string, period: string) => `${prefix}:usage:${teamId}:${period}:team`,
    /** A workspace's users by tokens used in one period (sorted set). Expires. */
    usageTop: (teamId: string, period: string) => `${prefix}:usage:${teamId}:${period}:top`,
    /** Daily token budgets admins set for single users (hash: user id → tokens). */
    budgetOverrides: (teamId: string) => `${prefix}:team:${teamId}:budget-overrides`,
    /** The uploaded usage chart of a workspace's admin section (hash: file id, day, when). Expires. */
    usageChart: (teamId: string) => `${prefix}:team:${teamId}:usage-chart`,
    /** A workspace's URL (`https://acme.slack.com/`), as auth.test last said, for permalinks (expires). */
    teamUrl: (teamId: string) => `${prefix}:team:${teamId}:url`,
    /** Whether a Slack user is a workspace admin or owner, as users.info last said (expires). */
    userAdmin: (teamId: string, userId: string) => `${prefix}:admin:${teamId}:${userId}`,
    /** OAuth: a workspace's installation (encrypted JSON); kept apart from the team's data, which a purge deletes. */
    installation: (teamId: string) => `${prefix}:install:team:${teamId}`,
    /** OAuth: an org-wide (Enterprise Grid) installation, covering every workspace of the org. */
    enterpriseInstallation: (enterpriseId: string) => `${prefix}:install:org:${enterpriseId}`,
    /** OAuth: a state parameter handed to a browser, single use, expiring. */
    oauthState: (state: string) => `${prefix}:oauth-state:${state}`,
    /** A workspace's policy as edited on the Home tab (hash: `*` its defaults, `<channel id>` a channel's; JSON). */
    policyEdits: (teamId: string) => `${prefix}:team:${teamId}:policy`,
    /** Pub/sub channel on which a policy edit is announced (the team id), so every process drops its cache. */
    policyChannel: () => `${prefix}:policy`,
    /** Set when a user was told the bot does not answer in a channel; its expiry is the once-a-day limit. */
    policyOffNotice: (teamId: string, channelId: string, userId: string) =>
      `${prefix}:user:${teamId}:${userId}:off:${channelId}`,
    /**
     * What was read from a shared file (JSON: its text or a note, or an image's data URL), cached
     * per file id with the history's TTL. Under `team:` so an uninstall purges it.
     */
    fileText: (teamId: string, fileId: string) => `${prefix}:team:${teamId}:file:${fileId}`,
    /** A user group's members, as usergroups.users.list last said (JSON list, expires). */
    usergroupMembers: (teamId: string, groupId: string) => `${prefix}:team:${teamId}:usergroup:${groupId}`,
  };
};

export type Keys = ReturnType<typeof createKeys>;

/**
 * SCAN patterns matching every key of createKeys that holds a team's data (its teamId in the key,
 * or in the request id `teamId:…`), so uninstalling can purge them. Its installation is not among
 * them. A key with no team in it (answerMessage, userName) expires on its own. Apart from the key
 * builders: these are patterns, not keys.
 */
export const teamKeyPatterns = (prefix: string, teamId: string): string[] => {
  const t = teamId.replace(/[*?[\]\\]/g, '\\$&');
  return [
    ...['session', 'history', 'lock', 'tq', 'work', 'req', 'cancelled', 'user', 'rate', 'admin', 'usage'].map(
      (kind) => `${prefix}:${kind}:${t}:*`,
    ),
    `${prefix}:team:${t}:*`,
    `${prefix}:thread:${t}:*`,
    // The workspace's Slack budget buckets and pauses (out/budget-store.ts: `{team:method…}`).
    `${prefix}:slack-budget:{${t}:*`,
    `${prefix}:slack-pause:{${t}:*`,
  ];
};

/**
 * Keys that exist when a Redis holds data written under `prefix` without its hash tag (`bc` before
 * the default became `{bc}`): the queues' meta hashes. Versions before the tag wrote there; this
 * one never reads them.
 */
export const untaggedQueueKeys = (prefix: string, queues: readonly string[]): string[] => {
  const bare = prefix.replace(/[{}]/g, '');
  return bare === prefix ? [] : queues.map((q) => `${bare}:${q}:meta`);
};

/** The id of a user's message: unique per workspace, channel and timestamp. */
export const messageId = (teamId: string, channelId: string, ts: string) => `${teamId}:${channelId}:${ts}`;
