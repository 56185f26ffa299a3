import { z } from 'zod';
import { dashboardSettings, refineDashboard, toDashboardConfig } from './dashboard-settings.js';
import { missingBotToken, oauthSettings, refineOAuth, toOAuthConfig } from './oauth-settings.js';
import { bool, emoji, int, optionalStr, optionalUrl, str } from './setting-fields.js';
import { toTracingConfig, tracingSettings } from './tracing-settings.js';

/**
 * Settings, parsed once from an injected environment. This module is the only reader of
 * `process.env` (through `main.ts`, which passes it in). Errors name the variable, never its value.
 */

export const DEFAULT_SYSTEM_PROMPT =
  'You are Backchannel, a helpful assistant in a Slack workspace. Several people may take part in a ' +
  'thread; their messages are prefixed with their names. Answer concisely in Markdown.';

/** USD per 1M tokens, by model: `{"gpt-4o-mini":{"input":0.15,"output":0.6}}`. */
const priceTable = z.record(
  z.string().min(1).max(200),
  z.strictObject({ input: z.number().min(0), output: z.number().min(0) }),
);
const jsonPrices = optionalStr.transform((v, ctx) => {
  if (v === undefined) return {};
  try {
    const parsed = priceTable.safeParse(JSON.parse(v));
    if (parsed.success) return parsed.data;
  } catch {
    // Reported below, without the value.
  }
  ctx.addIssue({
    code: 'custom',
    message: 'must be JSON: {"model":{"input":USD per 1M tokens,"output":USD per 1M tokens}}',
  });
  return z.NEVER;
});

const schema = z
  .object({
    NODE_ENV: z.string().default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PORT: int(3000, 0).pipe(z.number().max(65535)),
    // Required unless OAuth mode is on (SLACK_CLIENT_ID etc.): checked in superRefine below.
    SLACK_BOT_TOKEN: optionalStr.pipe(
      z
        .string()
        .regex(/^xox[a-z]-/, 'must be a bot token (xoxb-…)')
        .optional(),
    ),
    SLACK_SIGNING_SECRET: optionalStr,
    SLACK_APP_TOKEN: optionalStr.pipe(
      z
        .string()
        .regex(/^xapp-/, 'must be an app-level token (xapp-…)')
        .optional(),
    ),
    SLACK_API_URL: optionalUrl,
    SLACK_BUDGET_SCALE: optionalStr.pipe(
      z.coerce.number<string | undefined>().positive().max(10_000).optional(),
    ),
    OPENAI_API_KEY: optionalStr,
    OPENAI_BASE_URL: optionalUrl,
    OPENAI_MODEL: str('gpt-4o-mini'),
    REDIS_URL: optionalStr.pipe(z.url().optional()),
    // Redis Cluster keeps a multi-key command or script on one node only when all its keys hash to
    // one slot: a hash tag (`{…}`) in the prefix puts every key of a deployment in one slot, as
    // BullMQ requires for its queues. A prefix without one is wrapped in one (`bc` → `{bc}`).
    REDIS_PREFIX: z
      .string()
      .regex(
        /^[A-Za-z0-9_.-]*(\{[A-Za-z0-9_.-]+\})?[A-Za-z0-9_.-]*$/,
        'must be letters, digits, dot, dash or underscore, with at most one {hash tag}',
      )
      .refine((p) => p.length > 0, 'must not be empty')
      .default('{bc}')
      .transform((p) => (p.includes('{') ? p : `{${p}}`)),
    SYSTEM_PROMPT: str(DEFAULT_SYSTEM_PROMPT),
    // Where and how the bot answers, per workspace and channel (JSON or YAML; core/policy.ts).
    POLICY_FILE: optionalStr,
    MAX_ANSWER_TOKENS: int(1024, 1),
    CONTEXT_TOKEN_BUDGET: int(16000, 256),
    LLM_TIMEOUT_MS: int(120_000, 1000),
    LLM_MAX_RETRIES: int(3, 0),
    LLM_FIRST_TOKEN_TIMEOUT_MS: int(30_000, 100),
    LLM_IDLE_TIMEOUT_MS: int(30_000, 100),
    HISTORY_TTL_SECONDS: int(86_400, 60),
    BACKGROUND_TOKEN_THRESHOLD: int(8000, 1),
    // Files in session threads (files.ts): caps per file and per request, download deadline,
    // rows of a CSV and pages of a PDF read, and whether images go to the model.
    FILE_MAX_BYTES: int(10 * 1024 * 1024, 1),
    FILES_MAX_BYTES_PER_REQUEST: int(25 * 1024 * 1024, 1),
    FILE_DOWNLOAD_TIMEOUT_MS: int(15_000, 100),
    CSV_MAX_ROWS: int(200, 1),
    PDF_MAX_PAGES: int(20, 1),
    OPENAI_VISION: bool(false),
    FOREGROUND_MAX_IN_FLIGHT: int(16, 1),
    // Unset: as many as the LLM governor lets run at once (LLM_MAX_CONCURRENCY), or 32 without one.
    WORKER_CONCURRENCY: optionalStr.pipe(z.coerce.number<string | undefined>().int().min(1).optional()),
    // One OpenAI key's budget, shared by every process; 0 = no limit. Defaults fit a usage-tier-1
    // key on gpt-4o-mini (500 RPM, 200,000 TPM): https://platform.openai.com/docs/guides/rate-limits
    LLM_MAX_RPM: int(500, 0),
    LLM_MAX_TPM: int(200_000, 0),
    LLM_MAX_CONCURRENCY: int(32, 0),
    LLM_FOREGROUND_RESERVE: z.coerce.number().min(0).max(0.9).default(0.25),
    JOB_ATTEMPTS: int(4, 1),
    JOB_RETENTION_SECONDS: int(86_400, 1),
    JOB_LOCK_MS: int(30_000, 1000),
    RESULT_RETENTION_SECONDS: int(7 * 86_400, 60),
    USER_MAX_QUEUED: int(10, 1),
    USER_MAX_RUNNING: int(2, 1),
    USER_RATE_LIMIT_PER_MINUTE: int(12, 1),
    THREAD_MAX_WAITING: int(8, 1),
    THREAD_MAX_WAIT_MS: int(300_000, 1000),
    BODY_LIMIT_BYTES: int(1024 * 1024, 1024),
    METRICS_PORT: optionalStr.pipe(z.coerce.number<string | undefined>().int().min(0).max(65535).optional()),
    METRICS_TOKEN: optionalStr,
    SHUTDOWN_TIMEOUT_MS: int(25_000, 1000),
    EMOJI_QUEUED: emoji('hourglass_flowing_sand'),
    EMOJI_DONE: emoji('white_check_mark'),
    EMOJI_FAILED: emoji('x'),
    EMOJI_CANCELLED: emoji('no_entry_sign'),
    NATIVE_STREAMING: bool(true),
    HOME_COALESCE_MS: int(1500, 0),
    // Daily token budgets (prompt + completion, per UTC day); 0 = no limit.
    USER_DAILY_TOKENS: int(0, 0),
    TEAM_DAILY_TOKENS: int(0, 0),
    LLM_PRICES: jsonPrices,
    ...dashboardSettings,
    ...tracingSettings,
    ...oauthSettings,
  })
  .superRefine((env, ctx) => {
    refineOAuth(env, ctx);
    if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message: 'required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
      });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT' });
    }
    refineDashboard(env, ctx);
  });

type Env = z.infer<typeof schema>;

export type Role = 'all' | 'web' | 'worker';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Parses and freezes the settings. Throws ConfigError with one line per bad setting, never a value. */
export const loadConfig = (env: Record<string, string | undefined>, role: Role = 'all'): Readonly<Config> => {
  const parsed = schema.safeParse(env);
  const noToken = missingBotToken(env);
  if (parsed.success && noToken) throw new ConfigError([noToken]);
  if (!parsed.success) {
    const lines = new Map<string, string>(noToken ? [['SLACK_BOT_TOKEN', noToken]] : []);
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? 'settings');
      const raw = env[name];
      const missing = raw === undefined || raw.trim() === '';
      // zod's own messages can quote the input ("received …"); keep only our wording, never the value.
      const ours = issue.code === 'custom' || issue.message.startsWith('must');
      const message =
        issue.code === 'custom'
          ? issue.message
          : missing
            ? 'required'
            : ours
              ? issue.message
              : `malformed (${issue.code.replace(/_/g, ' ')})`;
      if (!lines.has(name)) lines.set(name, `${name}: ${message}`);
    }
    throw new ConfigError([...lines.values()]);
  }
  return deepFreeze(toConfig(parsed.data, role));
};

/** The settings as the app reads them, grouped by what uses them. */
const toConfig = (e: Env, role: Role) => ({
  production: e.NODE_ENV === 'production',
  logLevel: e.LOG_LEVEL,
  port: e.PORT,
  role,
  slack: {
    /** Single-workspace mode only; '' in OAuth mode, where each team's token comes from its installation. */
    botToken: e.SLACK_BOT_TOKEN ?? '',
    signingSecret: e.SLACK_SIGNING_SECRET,
    appToken: e.SLACK_APP_TOKEN,
    apiUrl: e.SLACK_API_URL ? e.SLACK_API_URL.replace(/\/?$/, '/') : undefined,
    socketMode: Boolean(e.SLACK_APP_TOKEN),
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    /**
     * Multiplies every rate of the shared Slack budget (out/slack-limits.ts): 1 against Slack; more
     * against a stand-in that enforces no limits, or scales its own (tests, demo, bench).
     */
    budgetScale: e.SLACK_BUDGET_SCALE ?? 1,
    /** OAuth mode (many workspaces): on when SLACK_CLIENT_ID, _SECRET and SLACK_STATE_SECRET are set. */
    oauth: toOAuthConfig(e),
  },
  /** Where `/metrics` is served: its own port (undefined: the main one), and the bearer token it needs, if any. */
  metrics: { port: e.METRICS_PORT, token: e.METRICS_TOKEN },
  openai: {
    apiKey: e.OPENAI_API_KEY,
    baseUrl: e.OPENAI_BASE_URL,
    model: e.OPENAI_MODEL,
    systemPrompt: e.SYSTEM_PROMPT,
    maxAnswerTokens: e.MAX_ANSWER_TOKENS,
    contextTokenBudget: e.CONTEXT_TOKEN_BUDGET,
    timeoutMs: e.LLM_TIMEOUT_MS,
    maxRetries: e.LLM_MAX_RETRIES,
    /** How long a call may go without its first piece of text, retries included. */
    firstTokenTimeoutMs: e.LLM_FIRST_TOKEN_TIMEOUT_MS,
    /** How long a stream may pause between pieces of text once it has started. */
    idleTimeoutMs: e.LLM_IDLE_TIMEOUT_MS,
  },
  redis: {
    /** Undefined when REDIS_URL was not set: the default address is used (and, outside production, a local child may be started). */
    url: e.REDIS_URL,
    defaultUrl: DEFAULT_REDIS_URL,
    /** Prefix of every key and queue this app writes, so several deployments can share one Redis. */
    prefix: e.REDIS_PREFIX,
  },
  sessions: {
    historyTtlSeconds: e.HISTORY_TTL_SECONDS,
    resultRetentionSeconds: e.RESULT_RETENTION_SECONDS,
  },
  /** The LLM governor: one budget per API key across all processes (0: no limit). */
  llm: {
    maxRpm: e.LLM_MAX_RPM,
    maxTpm: e.LLM_MAX_TPM,
    maxConcurrency: e.LLM_MAX_CONCURRENCY,
    foregroundReserve: e.LLM_FOREGROUND_RESERVE,
  },
  queue: {
    backgroundTokenThreshold: e.BACKGROUND_TOKEN_THRESHOLD,
    foregroundMaxInFlight: e.FOREGROUND_MAX_IN_FLIGHT,
    workerConcurrency: e.WORKER_CONCURRENCY ?? (e.LLM_MAX_CONCURRENCY > 0 ? e.LLM_MAX_CONCURRENCY : 32),
    attempts: e.JOB_ATTEMPTS,
    retentionSeconds: e.JOB_RETENTION_SECONDS,
    /** BullMQ lock of a running job, renewed at half-time; also the stalled-job check interval. */
    lockMs: e.JOB_LOCK_MS,
    userMaxQueued: e.USER_MAX_QUEUED,
    userMaxRunning: e.USER_MAX_RUNNING,
    userRateLimitPerMinute: e.USER_RATE_LIMIT_PER_MINUTE,
    /** Messages one thread may hold waiting for their turn (the one being answered included). */
    threadMaxWaiting: e.THREAD_MAX_WAITING,
    /** Longest a message waits for its thread's turn before it is refused. */
    threadMaxWaitMs: e.THREAD_MAX_WAIT_MS,
  },
  /** EMOJI_SEEN and EMOJI_RUNNING of earlier versions are ignored: nothing shows them any more. */
  emoji: {
    queued: e.EMOJI_QUEUED,
    done: e.EMOJI_DONE,
    failed: e.EMOJI_FAILED,
    cancelled: e.EMOJI_CANCELLED,
  },
  /** Token budgets per UTC day (0: no limit), and the price table of the cost view. */
  budgets: {
    userDailyTokens: e.USER_DAILY_TOKENS,
    teamDailyTokens: e.TEAM_DAILY_TOKENS,
    prices: e.LLM_PRICES,
  },
  /** Files shared in session threads: read into the context within these limits. */
  files: {
    maxBytes: e.FILE_MAX_BYTES,
    maxBytesPerRequest: e.FILES_MAX_BYTES_PER_REQUEST,
    downloadTimeoutMs: e.FILE_DOWNLOAD_TIMEOUT_MS,
    csvMaxRows: e.CSV_MAX_ROWS,
    pdfMaxPages: e.PDF_MAX_PAGES,
    /** Images become image inputs (the model must accept them); otherwise they are only named. */
    vision: e.OPENAI_VISION,
  },
  nativeStreaming: e.NATIVE_STREAMING,
  /** The policy file (watched for changes), if any; Home edits live in Redis either way. */
  policy: { file: e.POLICY_FILE },
  /** Home re-publishes for one user within this window are coalesced into one. */
  homeCoalesceMs: e.HOME_COALESCE_MS,
  /** The queue dashboard on the web role: off unless asked for, and then behind basic auth. */
  dashboard: toDashboardConfig(e),
  shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  /** OpenTelemetry traces: exported over OTLP/HTTP when `url` is set, else not started at all. */
  tracing: toTracingConfig(e),
});

export type Config = ReturnType<typeof toConfig>;

const deepFreeze = <T>(obj: T): Readonly<T> => {
  for (const v of Object.values(obj as object)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(obj);
};
