import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import type { Redis } from 'ioredis';
import { createAnswering } from './answering.js';
import { createBudgets } from './budgets.js';
import { runCli } from './cli.js';
import { type Config, loadConfig, type Role } from './core/config.js';
import { createLogger, type Logger } from './core/logger.js';
import { createMetrics, type Metrics } from './core/metrics.js';
import { noPolicyFile, watchPolicyFile } from './core/policy-file.js';
import { createRedis, pingRedis, waitUntilReady } from './core/redis.js';
import { runShutdown } from './core/shutdown.js';
import { startTracing } from './core/tracing.js';
import { resolveRedis } from './dev-redis.js';
import { createQueueDashboard } from './edge/dashboard/queue-dashboard.js';
import { createHttpServer } from './edge/http-server.js';
import { createGovernedLlm } from './llm/governed-client.js';
import { createSlackClient } from './out/web-client.js';
import { createWorkspaceAdmins } from './out/workspace-admins.js';
import { createPolicyAdmin } from './overview/policy-admin.js';
import { createOverviewService } from './overview/service.js';
import { createFairness } from './queue/fairness.js';
import { registerQueueMetrics } from './queue/queue-metrics.js';
import { QUEUES } from './queue/registry.js';
import { createQueueWatch } from './queue/watch.js';
import { createAdminAudit } from './sessions/admin-audit.js';
import { createAdminCache } from './sessions/admin-cache.js';
import { createKeys, untaggedQueueKeys } from './sessions/keys.js';
import { createPolicyStore } from './sessions/policy-store.js';
import { createPrefs } from './sessions/prefs.js';
import { createRequestChanges } from './sessions/request-changes.js';
import { createRequestStore } from './sessions/requests.js';
import { createUsageStore } from './sessions/usage.js';
import { setUpWorkspaces } from './slack-workspaces.js';
import { createWebRole } from './web-role.js';
import { startWorkerRole } from './worker-role.js';

export interface StartOptions {
  env: Record<string, string | undefined>;
  role?: Role;
  /** Where a development Redis keeps its data. */
  dataDir?: string;
  /** Tests pass their own logger destination. */
  logger?: Logger;
  /** The process's metrics (the CLI counts process-level events in them too). */
  metrics?: Metrics;
}

export interface Backchannel {
  config: Readonly<Config>;
  /** The HTTP port actually bound (PORT=0 picks a free one). */
  port: number;
  /** The port of the separate `/metrics` listener (METRICS_PORT), when there is one. */
  metricsPort?: number;
  stop(): Promise<boolean>;
}

/** The composition root: config → logger → redis → stores → web role / worker role → shutdown. */
export const startBackchannel = async (opts: StartOptions): Promise<Backchannel> => {
  const config = loadConfig(opts.env, opts.role ?? 'all');
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const metrics = opts.metrics ?? createMetrics({ defaultMetrics: true });
  // The policy file, if any: an invalid one stops the start here, naming the file and the problem.
  const policyFile = config.policy.file ? watchPolicyFile(config.policy.file, logger) : noPolicyFile;
  // Traces (off without an OTLP endpoint). BullMQ carries each request's trace from queue to worker.
  const tracing = await startTracing(config.tracing, config.role, logger);
  const traced = tracing.enabled ? { telemetry: new BullMQOtel({ tracerName: 'bullmq' }) } : {};
  if (tracing.enabled) logger.info({ serviceName: config.tracing.serviceName }, 'exporting traces over OTLP');

  // Redis: the configured one, or outside production a local child when nothing answers.
  const { url: redisUrl, stopLocal: stopLocalRedis } = await resolveRedis(config, {
    dataDir: opts.dataDir ?? '.data',
    logger,
  });
  const producer = createRedis(redisUrl, 'producer', logger);
  const workerConnection = createRedis(redisUrl, 'worker', logger);
  const connections: Redis[] = [producer, workerConnection];
  await waitUntilReady(producer);

  // Slack: the workspaces the bot answers in (slack-workspaces.ts); every job and Slack request
  // enters its own, and the bot's identity below the edge is that workspace's. Meanwhile, a check of
  // Redis for an older version's queues (a warning, once). The LLM's tokenizer is loaded on the
  // first count (budget.ts): an idle process holds none of it.
  const keys = createKeys(config.redis.prefix);
  const [{ slackClient, workspaces, bot, oauth }] = await Promise.all([
    setUpWorkspaces({ config, redis: producer, keys, logger }),
    warnOfUntaggedData(producer, config.redis.prefix, logger),
  ]);
  // One LLM budget for every process (llm/governor.ts): foreground calls may use all of it, background
  // ones leave the foreground its reserved share.
  // Every answer's tokens are counted per user and workspace (sessions/usage.ts): the budgets.
  const usage = createUsageStore({ redis: producer, keys });
  const llm = createGovernedLlm({ config, redis: producer, keys, metrics, logger, usage });

  const requestChanges = createRequestChanges();
  const requests = createRequestStore({
    redis: producer,
    keys,
    retentionSeconds: config.sessions.resultRetentionSeconds,
    changes: requestChanges,
  });
  const prefs = createPrefs({ redis: producer, keys });
  const { userMaxRunning: maxRunning, userMaxQueued: maxQueued } = config.queue;
  const fairness = createFairness({ redis: producer, keys, maxRunning, maxQueued });
  const watch = createQueueWatch(logger);
  const answersQueue = watch.queue(
    new Queue(QUEUES.answers.name, { connection: producer, prefix: config.redis.prefix, ...traced }),
    'answers queue',
  );
  registerQueueMetrics(metrics.registry, [answersQueue], logger);

  // Each role answers on its own Slack client, and every process shares one Slack budget per
  // workspace in Redis: the web role writes at foreground priority, a worker at background.
  // The worker's client never retries a call itself: a post whose answer was lost would be doubled.
  // BullMQ re-runs the job instead, and the re-run looks for its post before posting again.
  const answering = createAnswering({ config, redis: producer, keys, identity: bot, logger, metrics });
  const fg = config.role !== 'worker' ? answering(slackClient, 'foreground') : undefined;
  const bg =
    config.role !== 'web'
      ? answering(
          createSlackClient({
            token: oauth ? undefined : config.slack.botToken,
            apiUrl: config.slack.apiUrl,
            logger,
            retries: 0,
          }),
          'background',
        )
      : undefined;

  // One subscribed connection for the stop, cancel and policy channels (each listener keeps to its own).
  const subscriber = createRedis(redisUrl, 'worker', logger);
  connections.push(subscriber);
  // The policy of every request: the file and the Home edits, cached, dropped on every edit anywhere.
  const policy = createPolicyStore({
    redis: producer,
    subscriber,
    keys,
    file: policyFile,
    builtIn: { systemPrompt: config.openai.systemPrompt, model: config.openai.model },
    logger,
  });
  await policy.start();
  // The Home tab and its admin parts write with the web role's client when there is one.
  const homeClient = fg?.client ?? bg?.client ?? slackClient;
  const homeCall = (fg ?? bg)?.call;
  // Who is a workspace admin (users.info, cached): one per process, for every part that asks.
  const admins = createWorkspaceAdmins({
    client: homeClient,
    call: homeCall ?? ((_m, _c, fn) => fn()),
    cache: createAdminCache({ redis: producer, keys }),
  });
  const audit = createAdminAudit({ redis: producer, keys });
  const policyAdmin = createPolicyAdmin({
    policy,
    admins,
    audit,
    client: homeClient,
    publish: (teamId, userId) => overview.publish(teamId, userId),
    logger,
  });

  // Token budgets and usage people see (Home sections, /ask usage, the admin's budget modal).
  const budgets = createBudgets({
    config,
    redis: producer,
    keys,
    usage,
    admins,
    audit,
    client: homeClient,
    call: homeCall,
    home: { publish: (t, u) => overview.publish(t, u), schedule: (t, u) => overview.schedule(t, u) },
    respond: (url, body) => (fg ?? bg)?.poster.respond(url, body) ?? Promise.resolve(),
    logger,
  });
  // The overview: one per process (on the web role's client when there is one), re-published,
  // coalesced, on every change to a user's requests.
  const overview = createOverviewService({
    client: homeClient,
    call: homeCall,
    requests,
    prefs,
    identity: bot,
    logger,
    coalesceMs: config.homeCoalesceMs,
    workspaces,
    // The user's usage at the top; for admins, the workspace's usage and the policy at the bottom.
    sections: [...budgets.usage.sections, policyAdmin.section],
  });
  requestChanges.subscribe(overview.schedule);

  // The roles.
  const shared = {
    config,
    logger,
    metrics,
    redis: producer,
    workerConnection,
    keys,
    requests,
    fairness,
    watch,
    traced,
    workspaces,
  };
  const web = fg
    ? await createWebRole({
        ...shared,
        llm: llm.forRole('foreground'),
        subscriber,
        identity: bot,
        answering: fg,
        answersQueue,
        prefs,
        overview,
        admins,
        ...(oauth ? { oauth } : {}),
        policy,
        policyAdmin,
        budgets,
      })
    : undefined;
  const slack = web?.slack;
  if (bg)
    await startWorkerRole({ ...shared, llm: llm.forRole('background'), subscriber, answering: bg, overview });
  // The queue dashboard (QUEUE_DASHBOARD, off by default): web processes only, behind basic auth.
  const board = config.dashboard;
  const dashboard =
    web && board.enabled
      ? createQueueDashboard({ ...board, queues: [answersQueue, web.intakeQueue], logger })
      : undefined;
  const http = createHttpServer({
    ...(dashboard ? { dashboard } : {}),
    ...(slack?.httpListener
      ? {
          slack: {
            listener: slack.httpListener,
            signingSecret: config.slack.signingSecret ?? '',
            installPaths: slack.installPaths,
          },
        }
      : {}),
    bodyLimitBytes: config.slack.bodyLimitBytes,
    metricsPort: config.metrics.port,
    metricsToken: config.metrics.token,
    healthy: () =>
      pingRedis(producer).then(
        () => true,
        () => false,
      ),
    metrics,
    logger,
  });

  // Everything is ready before the port opens: a 200 from /healthz means fully started.
  await watch.ready();
  const port = await http.listen(config.port);
  await slack?.start();
  logger.info(
    { port, role: config.role, mode: config.slack.socketMode ? 'socket' : 'http' },
    'backchannel started',
  );

  // Shutdown: in this order, within SHUTDOWN_TIMEOUT_MS.
  const steps = [
    { name: 'http', run: () => http.close() },
    { name: 'policy file', run: async () => policyFile.stop() },
    { name: 'slack', run: async () => slack?.stop() },
    // With Redis down nothing can finish cleanly: close at once instead of waiting out the deadline.
    { name: 'workers', run: () => watch.closeWorkers(producer.status !== 'ready') },
    { name: 'queues', run: () => watch.closeQueues() },
    { name: 'redis', run: () => Promise.all(connections.map(quit)) },
    // Last of ours: the spans of everything above are sent before the process goes.
    { name: 'tracing', run: tracing.shutdown },
    { name: 'local redis', run: stopLocalRedis },
  ];
  let stopping: Promise<boolean> | undefined;
  return {
    config,
    port,
    ...(http.metricsPort !== undefined ? { metricsPort: http.metricsPort } : {}),
    stop: () => {
      stopping ??= runShutdown(steps, config.shutdownTimeoutMs, logger);
      return stopping;
    },
  };
};

const quit = async (redis: Redis) => {
  try {
    await redis.quit();
  } catch {
    // QUIT cannot be sent over a connection that is already down: drop it instead.
    redis.disconnect();
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href)
  void runCli(startBackchannel);

/**
 * Data a version before the `{…}` hash tag left under the bare prefix is not read by this one: say
 * so once at start-up (an EXISTS per queue), rather than let its queued jobs wait unseen.
 */
const warnOfUntaggedData = async (redis: Redis, prefix: string, logger: Logger) => {
  const old = untaggedQueueKeys(prefix, [QUEUES.intake.name, QUEUES.answers.name]);
  // One EXISTS per key: the untagged keys hash to different slots, which one command may not span.
  const found = await Promise.all(old.map((key) => redis.exists(key)));
  if (!found.some((n) => n > 0)) return;
  logger.warn(
    { prefix, oldPrefix: prefix.replace(/[{}]/g, '') },
    'Redis holds queues under the old prefix without a hash tag; this version uses the tagged prefix and does not run them (see README, Redis Cluster)',
  );
};
