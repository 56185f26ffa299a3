import { Queue, Worker } from 'bullmq';
import { createAdmission } from './answer/admission.js';
import { createForegroundAnswerer } from './answer/foreground.js';
import { createRequestHandler } from './answer/handle-request.js';
import { createReadmission } from './answer/readmission.js';
import { type RoleDeps, workerOptions } from './answering.js';
import type { Budgets } from './budgets.js';
import type { SlackIdentity } from './core/domain.js';
import { createSlackApp, type SlackApp } from './edge/app.js';
import { registerListeners } from './edge/listeners/index.js';
import { createIntake } from './intake/intake.js';
import { createIntakeProcessor } from './intake/processor.js';
import { createUsergroups } from './out/usergroups.js';
import type { WorkspaceAdmins } from './out/workspace-admins.js';
import { createOverviewActions } from './overview/actions.js';
import { createOverviewCommands } from './overview/commands.js';
import { createFeedbackActions } from './overview/feedback.js';
import { createMessagesTab } from './overview/messages-tab.js';
import type { PolicyAdmin } from './overview/policy-admin.js';
import { createRetryRequest } from './overview/retry-request.js';
import type { OverviewService } from './overview/service.js';
import { createSessionStop } from './overview/session-stop.js';
import { createCanceller } from './queue/cancel.js';
import { createEnqueuer } from './queue/enqueue.js';
import { createRateLimiter } from './queue/fairness.js';
import { createForegroundStops } from './queue/foreground-stops.js';
import { inJobWorkspace } from './queue/in-workspace.js';
import { QUEUES } from './queue/registry.js';
import { createIntakeStalledOut } from './queue/stalled.js';
import { createTeamPurger } from './queue/team-purge.js';
import { createAgentContextStore } from './sessions/agent-context.js';
import { createFeedbackStore } from './sessions/feedback.js';
import { createFollowedThreads } from './sessions/follow.js';
import type { PolicyStore } from './sessions/policy-store.js';
import type { Prefs } from './sessions/prefs.js';
import { createThreadLocks } from './sessions/thread-lock.js';
import { createThreadSession } from './sessions/thread-status.js';
import { createUsergroupCache } from './sessions/usergroup-cache.js';
import type { SlackWorkspaces } from './slack-workspaces.js';

/** Session threads started by a top-level mention or /ask are followed this long after their last use. */
const FOLLOW_TTL_SECONDS = 30 * 86_400;

export interface WebRoleDeps extends RoleDeps {
  identity: SlackIdentity;
  answersQueue: Queue;
  prefs: Prefs;
  overview: OverviewService;
  /** OAuth mode: Bolt's installer stores, and the installations an uninstall deletes. */
  oauth?: SlackWorkspaces['oauth'];
  policy: Pick<PolicyStore, 'resolve'>;
  policyAdmin: Pick<PolicyAdmin, 'handle'>;
  /** Token budgets (the check before an answer) and usage (`/ask usage`, the budget modal). */
  budgets?: Budgets;
  /** The process's one record of who is a workspace admin (Slack's stop button asks it too). */
  admins: Pick<WorkspaceAdmins, 'isAdmin'>;
}

/**
 * The web role: Slack's requests in (Bolt and its listeners, each writing intake work before the
 * ack), and the intake worker that turns them into answers (foreground, or queued for the worker
 * role) and runs the overview's commands and buttons. Returns the Bolt app for the HTTP server, and
 * the intake queue for the dashboard.
 */
export const createWebRole = async (deps: WebRoleDeps): Promise<{ slack: SlackApp; intakeQueue: Queue }> => {
  const { config, logger, metrics, redis, keys, identity, requests, fairness, overview, watch } = deps;
  const { poster, client } = deps.answering;
  const prefix = config.redis.prefix;

  // The door: Bolt's listeners claim each delivery and write it durably before the ack.
  const intakeQueue = watch.queue(
    new Queue(QUEUES.intake.name, { connection: redis, prefix, ...deps.traced }),
    'intake queue',
  );
  const intake = createIntake({ queue: intakeQueue, logger });
  const followed = createFollowedThreads({ redis, keys, ttlSeconds: FOLLOW_TTL_SECONDS });
  const { lockMs: ttlMs, threadMaxWaiting: maxWaiting, threadMaxWaitMs: maxWaitMs } = config.queue;
  const threadLocks = createThreadLocks({ redis, keys, ttlMs, maxWaiting, maxWaitMs, logger });
  const slack = createSlackApp({
    config,
    identity,
    logger,
    ...(deps.oauth ? { oauthStores: deps.oauth.stores } : {}),
  });
  registerListeners(slack.app, {
    intake,
    followed,
    identity,
    threadLocks,
    logger,
    metrics,
    ...(deps.oauth ? { installations: forgetting(deps.oauth.installations, deps.workspaces) } : {}),
    shortcuts: {
      openModal: (trigger_id, view) => client.views.open({ trigger_id, view }),
      respond: poster.respond,
    },
  });

  // After the ack: the request handler, and the overview's commands and buttons.
  const queue = deps.answersQueue;
  // A rating changes its request's counts: the requester's Home is re-published (coalesced).
  const feedback = createFeedbackStore({
    redis,
    keys,
    retentionSeconds: config.sessions.resultRetentionSeconds,
    changes: { notify: overview.schedule },
  });
  const threadSession = createThreadSession({ requests, sessions: poster.sessions, logger });
  const canceller = createCanceller({
    queue,
    redis,
    keys,
    requests,
    fairness,
    poster,
    threadSession,
    logger,
  });
  // Every web process hears every stop: the foreground answer may run in any of them.
  const stops = createForegroundStops({ subscriber: deps.subscriber, redis, keys, logger });
  await stops.start();
  const enqueuer = createEnqueuer({ queue, poster, requests, fairness, config, logger });
  const admit = createAdmission({
    policy: deps.policy,
    usergroups: createUsergroups({
      client,
      call: deps.answering.call,
      cache: createUsergroupCache({ redis, keys }),
    }),
    redis,
    keys,
    logger,
  });
  const budget = deps.budgets ? { budget: deps.budgets.check } : {};
  const handler = createRequestHandler({
    config,
    poster,
    context: deps.answering.context,
    foreground: createForegroundAnswerer({ llm: deps.llm, poster, logger }),
    enqueuer,
    history: deps.answering.history,
    feedback,
    followed,
    threadLocks,
    requests,
    rateLimiter: createRateLimiter({
      redis,
      keys,
      perMinute: config.queue.userRateLimitPerMinute,
      rememberMs: maxWaitMs + 60_000,
    }),
    stops,
    threadSession,
    metrics,
    logger,
    admit,
    ...budget,
  });
  const actions = createOverviewActions({
    overview,
    client,
    requests,
    feedback,
    prefs: deps.prefs,
    identity,
    logger,
    cancel: canceller.cancel,
    // A retry passes today's policy and budgets, as a new question would.
    retry: createRetryRequest({
      requests,
      enqueuer,
      redis,
      keys,
      readmit: createReadmission({ admit, ...budget, logger }),
    }),
    respond: poster.respond,
  });
  const commands = createOverviewCommands({ canceller, overview, respond: poster.respond });
  const messagesTab = createMessagesTab({
    poster,
    context: createAgentContextStore({ redis, keys }),
    logger,
  });
  const sessionStop = createSessionStop({
    requests,
    canceller,
    stops,
    admins: deps.admins,
    history: deps.answering.history,
    poster,
    threadSession,
    logger,
  });
  const { workspaces } = deps;
  const process = createIntakeProcessor({
    handler,
    overview,
    actions,
    commands,
    messagesTab,
    feedback: createFeedbackActions({ store: feedback, poster, client, metrics, logger }),
    sessionStop,
    teamPurge: createTeamPurger({
      queue,
      finished: [queue, intakeQueue],
      // Once the longest answer running at the uninstall has surely ended.
      sweepAgain: { queue: intakeQueue, delayMs: config.openai.timeoutMs + 60_000 },
      redis,
      keys,
      logger,
    }),
    policyAdmin: deps.policyAdmin,
    ...(deps.budgets ? { usage: deps.budgets.usage } : {}),
  });
  const inTeam = inJobWorkspace({ workspaces, logger }, process);
  const intakeWorker = new Worker(
    QUEUES.intake.name,
    // Each job runs in its workspace, looked up when it starts (an uninstalled one's job ends
    // quietly); all but the purge of a workspace that uninstalled the app, which has none any more.
    (job, token) =>
      job.name === QUEUES.intake.teamUninstalled.job ? process(job, token) : inTeam(job, token),
    // Intake jobs wait on the LLM, not the CPU: many at once. Overflow routing caps real answers.
    workerOptions(deps, Math.max(64, config.queue.foregroundMaxInFlight * 2)),
  );
  watch.worker(intakeWorker, 'intake worker');
  intakeWorker.on('failed', createIntakeStalledOut({ poster, requests, threadSession, logger, workspaces }));
  return { slack, intakeQueue };
};

/** An uninstall deletes the installation and has this process forget the workspace at once. */
const forgetting = (
  installations: NonNullable<SlackWorkspaces['oauth']>['installations'],
  workspaces: Pick<RoleDeps['workspaces'], 'forget'>,
): NonNullable<SlackWorkspaces['oauth']>['installations'] => ({
  async deleteInstallation(query) {
    await installations.deleteInstallation(query);
    if (query.teamId) workspaces.forget(query.teamId);
  },
});
