import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WebClient } from '@slack/web-api';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createContextBuilder } from './answer/context.js';
import { createForegroundAnswerer } from './answer/foreground.js';
import { createRequestHandler } from './answer/handle-request.js';
import { runCli } from './cli.js';
import { type Config, loadConfig, type Role } from './core/config.js';
import type { AcceptedRequest } from './core/domain.js';
import { isAppError } from './core/errors.js';
import { createLogger, type Logger } from './core/logger.js';
import { createMetrics, type Metrics } from './core/metrics.js';
import { createRedis, pingRedis, waitUntilReady } from './core/redis.js';
import { runShutdown, type ShutdownStep } from './core/shutdown.js';
import { isRedisAnswering, startLocalRedis } from './dev-redis.js';
import { createSlackApp, type SlackIdentity } from './edge/app.js';
import { createHttpServer, type HttpServer } from './edge/http-server.js';
import { registerHomeActions } from './edge/listeners/actions/home-actions.js';
import { registerAskCommand } from './edge/listeners/commands/ask.js';
import { registerAppHome } from './edge/listeners/events/app-home.js';
import { registerMessageListeners } from './edge/listeners/events/messages.js';
import { createClaims } from './intake/claims.js';
import { createIntake } from './intake/intake.js';
import { waitTurnInQueue } from './intake/wait-turn.js';
import { loadTokenizer, turnTokens } from './llm/budget.js';
import { createLlmClient, type LlmClient } from './llm/client.js';
import { createSlackPoster } from './out/poster.js';
import { createRateGate } from './out/rate-gate.js';
import { createThreadReader } from './out/threads.js';
import { createSlackClient } from './out/web-client.js';
import { cancelReply } from './overview/replies.js';
import { createRetry } from './overview/retry-request.js';
import { createHomeService, type HomeService } from './overview/service.js';
import { answerBackoff, createAnswerProcessor } from './queue/answer-processor.js';
import { createCanceller, createCancelWatch } from './queue/cancel.js';
import { createEnqueuer } from './queue/enqueue.js';
import { createFairness, createRateLimiter } from './queue/fairness.js';
import { QUEUES } from './queue/registry.js';
import { createAnswerStalledOut, createIntakeStalledOut } from './queue/stalled.js';
import { createFollowedThreads } from './sessions/follow.js';
import { createHistoryStore } from './sessions/history.js';
import { createKeys } from './sessions/keys.js';
import { createNameCache } from './sessions/names.js';
import { createPrefs } from './sessions/prefs.js';
import { createRequestStore } from './sessions/requests.js';
import { createThreadLocks } from './sessions/thread-lock.js';

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

/** Session threads started by a top-level mention or /ask are followed this long after their last use. */
const FOLLOW_TTL_SECONDS = 30 * 86_400;

/** Only called at start-up: who the bot is, so no Slack call runs on the ack path later. */
const fetchIdentity = async (client: WebClient, logger: Logger): Promise<SlackIdentity> => {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await client.auth.test();
      if (!res.user_id || !res.bot_id || !res.team_id) throw new Error('auth.test returned no bot identity');
      return {
        botUserId: res.user_id,
        botId: res.bot_id,
        teamId: res.team_id,
        ...(res.url ? { url: res.url } : {}),
      };
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      // A bad token never gets better: stop at once with the reason.
      if (
        code === 'invalid_auth' ||
        code === 'not_authed' ||
        code === 'account_inactive' ||
        code === 'token_revoked'
      )
        throw new Error(`SLACK_BOT_TOKEN was rejected by Slack (${code})`);
      if (attempt >= 5)
        throw new Error(`could not reach Slack to identify the bot: ${(err as Error).message}`);
      logger.warn({ attempt, err: { message: (err as Error).message } }, 'auth.test failed, retrying');
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
};

/** The composition root: config → logger → redis → deps → roles → shutdown. */
export const startBackchannel = async (opts: StartOptions): Promise<Backchannel> => {
  const config = loadConfig(opts.env, opts.role ?? 'all');
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const steps: ShutdownStep[] = [];
  const webRole = config.role !== 'worker';
  const workerRole = config.role !== 'web';

  // Redis: the configured one, or outside production a local child when nothing answers.
  let redisUrl = config.redis.url ?? config.redis.defaultUrl;
  let localRedis: Awaited<ReturnType<typeof startLocalRedis>> | undefined;
  if (!config.redis.url && !(await isRedisAnswering(redisUrl))) {
    if (config.production)
      throw new Error(
        `No Redis answers at ${redisUrl}; set REDIS_URL (production never starts its own Redis)`,
      );
    localRedis = await startLocalRedis({ url: redisUrl, dataDir: opts.dataDir ?? '.data', logger });
    redisUrl = config.redis.defaultUrl;
  }
  const producer = createRedis(redisUrl, 'producer', logger);
  const workerConnection = createRedis(redisUrl, 'worker', logger);
  await waitUntilReady(producer);
  const keys = createKeys(config.redis.prefix);
  const metrics = opts.metrics ?? createMetrics({ defaultMetrics: true });
  const bullPrefix = config.redis.prefix;

  const slackClient = createSlackClient({
    token: config.slack.botToken,
    apiUrl: config.slack.apiUrl,
    logger,
  });
  const identity = await fetchIdentity(slackClient, logger);
  logger.info({ botUserId: identity.botUserId, teamId: identity.teamId, role: config.role }, 'identified');
  // The tokenizer's ranks take ~0.5 s to load: do it now, never on a request's path.
  await loadTokenizer();

  const closers: { http?: () => Promise<void>; slack?: () => Promise<void> } = {};
  const workers: Worker[] = [];
  const redisClients: Redis[] = [];
  const queues: Queue[] = [];
  // One line per outage and component, not one per reconnect attempt.
  const lastErrorAt = new Map<string, number>();
  const onError = (what: string) => (err: Error) => {
    const now = Date.now();
    if (now - (lastErrorAt.get(what) ?? 0) < 60_000) return;
    lastErrorAt.set(what, now);
    logger.error({ err: { message: err.message }, what }, 'queue error');
  };
  const watch = (worker: Worker, what: string) => {
    worker.on('error', onError(what));
    worker.on('failed', (job, err) =>
      logger.warn(
        { what, jobId: job?.id, attempts: job?.attemptsMade, err: { message: err.message } },
        'job failed',
      ),
    );
    worker.on('stalled', (jobId) => logger.warn({ what, jobId }, 'stalled job taken back to run again'));
    workers.push(worker);
  };
  const rawLlm = createLlmClient({ config: config.openai, logger });
  const llm: LlmClient = {
    stream: (req) =>
      rawLlm.stream(req).then(
        (result) => {
          metrics.llmCalls.inc({ outcome: 'ok' });
          return result;
        },
        (err: unknown) => {
          metrics.llmCalls.inc({ outcome: isAppError(err) ? err.code : 'error' });
          throw err;
        },
      ),
  };

  /** Slack output, history and context for one role; each role has its own Slack client, so a 429 on one never pauses the other. */
  const answering = (client: WebClient) => {
    const poster = createSlackPoster({
      client,
      logger,
      nativeStreaming: config.nativeStreaming,
      badges: config.emoji,
    });
    // History reads wait out a short 429; a longer one fails the read (and the answer says so).
    const gate = createRateGate({ logger, maxWaitMs: 10_000 });
    const names = createNameCache({ redis: producer, keys });
    const reader = createThreadReader({ client, gate, names, identity, logger });
    const history = createHistoryStore({
      redis: producer,
      keys,
      ttlSeconds: config.sessions.historyTtlSeconds,
      reader,
      count: turnTokens,
      budgetTokens: config.openai.contextTokenBudget,
    });
    const context = createContextBuilder({ history, reader, config: config.openai });
    return { client, poster, reader, history, context };
  };

  const answersQueue = new Queue(QUEUES.answers.name, { connection: producer, prefix: bullPrefix });
  answersQueue.on('error', onError('answers queue'));
  queues.push(answersQueue);

  // Each role has its own Slack client: a 429 on background work never pauses the foreground.
  const fg = webRole ? answering(slackClient) : undefined;
  // The worker's client never retries a call itself: a post whose answer was lost would be doubled.
  // BullMQ re-runs the job instead, and the re-run looks for its post before posting again.
  const bg = workerRole
    ? answering(
        createSlackClient({ token: config.slack.botToken, apiUrl: config.slack.apiUrl, logger, retries: 0 }),
      )
    : undefined;
  const prefs = createPrefs({ redis: producer, keys });
  // One Home publisher per process; every change to a user's requests re-publishes their Home (coalesced).
  let home: HomeService | undefined;
  const requests = createRequestStore({
    redis: producer,
    keys,
    retentionSeconds: config.sessions.resultRetentionSeconds,
    onChange: (teamId, userId) => home?.schedule(teamId, userId),
  });
  const fairness = createFairness({
    redis: producer,
    keys,
    maxRunning: config.queue.userMaxRunning,
    maxQueued: config.queue.userMaxQueued,
  });

  let listen: HttpServer | undefined;
  let startSlack: (() => Promise<void>) | undefined;
  const healthy = () =>
    pingRedis(producer).then(
      () => true,
      () => false,
    );
  let port = config.port;
  const httpOptions = {
    bodyLimitBytes: config.slack.bodyLimitBytes,
    metricsPort: config.metrics.port,
    metricsToken: config.metrics.token,
    healthy,
    metrics,
    logger,
  };

  if (fg) {
    const intakeQueue = new Queue(QUEUES.intake.name, { connection: producer, prefix: bullPrefix });
    intakeQueue.on('error', onError('intake queue'));
    queues.push(intakeQueue);
    const intake = createIntake({
      claims: createClaims({ redis: producer, keys }),
      queue: intakeQueue,
      logger,
    });
    const followed = createFollowedThreads({ redis: producer, keys, ttlSeconds: FOLLOW_TTL_SECONDS });
    const slack = createSlackApp({ config, identity, logger });
    const { lockMs: ttlMs, threadMaxWaiting: maxWaiting, threadMaxWaitMs: maxWaitMs } = config.queue;
    const threads = createThreadLocks({ redis: producer, keys, ttlMs, maxWaiting, maxWaitMs, logger });
    registerMessageListeners(slack.app, { intake, followed, identity, threads, logger, metrics });
    registerAskCommand(slack.app, { intake, logger, metrics });
    registerAppHome(slack.app, { intake, logger, metrics });
    registerHomeActions(slack.app, { intake, logger, metrics });

    const canceller = createCanceller({
      queue: answersQueue,
      redis: producer,
      keys,
      requests,
      fairness,
      poster: fg.poster,
      logger,
    });
    const enqueuer = createEnqueuer({
      queue: answersQueue,
      poster: fg.poster,
      requests,
      fairness,
      config,
      logger,
    });
    const retry = createRetry({ requests, enqueuer, redis: producer, keys });
    home = createHomeService({
      client: fg.client,
      requests,
      prefs,
      identity,
      logger,
      cancel: canceller.cancel,
      coalesceMs: config.homeCoalesceMs,
      retry,
      respond: fg.poster.respond,
    });
    const homeService = home;
    const respond = (request: AcceptedRequest, body: Record<string, unknown>) =>
      request.responseUrl ? fg.poster.respond(request.responseUrl, body) : Promise.resolve();
    const handler = createRequestHandler({
      config,
      poster: fg.poster,
      context: fg.context,
      foreground: createForegroundAnswerer({ llm, poster: fg.poster, logger }),
      enqueuer,
      history: fg.history,
      followed,
      locks: threads,
      requests,
      rateLimiter: createRateLimiter({
        redis: producer,
        keys,
        perMinute: config.queue.userRateLimitPerMinute,
        rememberMs: maxWaitMs + 60_000,
      }),
      metrics,
      logger,
      commands: {
        cancel: async (request) => {
          const outcome = await canceller.cancelNewest(request.teamId, request.userId);
          await respond(request, { response_type: 'ephemeral', text: cancelReply(outcome) });
        },
        sessions: async (request) => {
          const message = await homeService.sessionsMessage(request.teamId, request.userId);
          await respond(request, { response_type: 'ephemeral', ...message });
        },
      },
    });
    const intakeWorker = new Worker(
      QUEUES.intake.name,
      async (job: Job, token?: string) => {
        if (job.name === QUEUES.intake.home.job) {
          const data = QUEUES.intake.home.schema.parse(job.data);
          return homeService.opened(data.teamId, data.userId);
        }
        if (job.name === QUEUES.intake.action.job)
          return homeService.handleAction(QUEUES.intake.action.schema.parse(job.data));
        return waitTurnInQueue(job, token, () =>
          handler.handle(QUEUES.intake.schema.parse(job.data), {
            rerun: job.attemptsMade > 0 || (job.stalledCounter ?? 0) > 0,
          }),
        );
      },
      // Intake jobs wait on the LLM, not the CPU: many at once. Overflow routing caps real answers.
      {
        connection: workerConnection,
        prefix: bullPrefix,
        concurrency: Math.max(64, config.queue.foregroundMaxInFlight * 2),
        lockDuration: config.queue.lockMs,
        stalledInterval: config.queue.lockMs,
      },
    );
    watch(intakeWorker, 'intake worker');
    intakeWorker.on('failed', createIntakeStalledOut({ poster: fg.poster, requests, logger }));

    const http = createHttpServer({
      ...(slack.httpListener
        ? { slack: { listener: slack.httpListener, signingSecret: config.slack.signingSecret ?? '' } }
        : {}),
      ...httpOptions,
    });
    listen = http;
    startSlack = slack.start;
    closers.slack = slack.stop;
  }

  if (bg) {
    home ??= createHomeService({
      client: bg.client,
      requests,
      prefs,
      identity,
      logger,
      coalesceMs: config.homeCoalesceMs,
    });
    const homeService = home;
    const subscriber = createRedis(redisUrl, 'worker', logger);
    redisClients.push(subscriber);
    const cancels = createCancelWatch({ subscriber, redis: producer, keys, logger });
    await cancels.start();
    const answerWorker = new Worker(
      QUEUES.answers.name,
      createAnswerProcessor({
        llm,
        poster: bg.poster,
        reader: bg.reader,
        context: bg.context,
        history: bg.history,
        requests,
        fairness,
        cancels,
        onReady: (record) => homeService.notifyReady(record),
        metrics,
        logger,
      }),
      {
        connection: workerConnection,
        prefix: bullPrefix,
        concurrency: config.queue.workerConcurrency,
        // A dead worker's job is re-run after its lock lapses and the stalled check sees it.
        lockDuration: config.queue.lockMs,
        stalledInterval: config.queue.lockMs,
        settings: { backoffStrategy: answerBackoff },
      },
    );
    watch(answerWorker, 'answer worker');
    answerWorker.on('failed', createAnswerStalledOut({ ...bg, requests, fairness, metrics, logger }));
    if (!fg) {
      listen = createHttpServer(httpOptions);
    }
  }

  // Everything is ready before the port opens: a 200 from /healthz means fully started.
  await Promise.all([...workers.map((w) => w.waitUntilReady()), ...queues.map((q) => q.waitUntilReady())]);
  if (listen) {
    port = await listen.listen(config.port);
    closers.http = listen.close;
  }
  await startSlack?.();

  steps.push(
    { name: 'http', run: async () => closers.http?.() },
    { name: 'slack', run: async () => closers.slack?.() },
    // With Redis down nothing can finish cleanly: close at once instead of waiting out the deadline.
    { name: 'workers', run: () => Promise.all(workers.map((w) => w.close(producer.status !== 'ready'))) },
    { name: 'queues', run: () => Promise.all(queues.map((q) => q.close())) },
    { name: 'redis', run: () => Promise.all([producer, workerConnection, ...redisClients].map(quit)) },
    { name: 'local redis', run: async () => localRedis?.stop() },
  );
  logger.info(
    { port, role: config.role, mode: config.slack.socketMode ? 'socket' : 'http' },
    'backchannel started',
  );

  let stopping: Promise<boolean> | undefined;
  return {
    config,
    port,
    ...(listen?.metricsPort !== undefined ? { metricsPort: listen.metricsPort } : {}),
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
    redis.disconnect();
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href)
  void runCli(startBackchannel);
