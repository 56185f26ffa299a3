import { existsSync } from 'node:fs';
import { ConfigError, type Role } from './core/config.js';
import { errorMessage } from './core/errors.js';
import { createLogger, type Logger } from './core/logger.js';
import { createMetrics, type Metrics } from './core/metrics.js';
import { PolicyFileError } from './core/policy-file.js';
import { LocalRedisUnavailable } from './dev-redis.js';
import { createLifecycle, type Stoppable } from './lifecycle.js';

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const parseRole = (argv: string[]): Role => {
  const i = argv.indexOf('--role');
  const value = i >= 0 ? argv[i + 1] : undefined;
  if (value === undefined) return 'all';
  if (value === 'web' || value === 'worker' || value === 'all') return value;
  throw new ConfigError([`--role: must be web, worker or all`]);
};

export type Start = (opts: {
  env: Record<string, string | undefined>;
  role: Role;
  logger: Logger;
  metrics: Metrics;
}) => Promise<Stoppable>;

/** CLI entry: `node dist/src/main.js [--role web|worker|all]`. */
export const runCli = async (start: Start) => {
  // A local .env is a convenience for development; variables already set win.
  if (existsSync('.env')) process.loadEnvFile('.env');
  // LOG_LEVEL is checked with the other settings at start; until then a bad one means info.
  const level = process.env.LOG_LEVEL;
  const logger = createLogger({ level: level && LOG_LEVELS.has(level) ? level : 'info' });
  const metrics = createMetrics({ defaultMetrics: true });
  const lifecycle = createLifecycle({
    logger,
    exit: (code) => process.exit(code),
    onRejection: () => metrics.unhandledRejections.inc(),
  });
  // From the first moment: a request must never end the process through a stray rejection, and a
  // signal during start-up stops the bot as soon as it has started, cleanly, not halfway.
  lifecycle.install();
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    process.stderr.write(`received ${signal}, shutting down\n`);
    lifecycle.shutDown();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    lifecycle.started(
      await start({ env: process.env, role: parseRole(process.argv.slice(2)), logger, metrics }),
    );
  } catch (err) {
    if (err instanceof ConfigError || err instanceof LocalRedisUnavailable || err instanceof PolicyFileError)
      process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`backchannel failed to start: ${errorMessage(err)}\n`);
    process.exit(1);
  }
};
