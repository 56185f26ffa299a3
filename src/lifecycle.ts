import type { Logger } from './core/logger.js';

/**
 * The process around the app: signals, fatal errors, stray rejections, and the exit code.
 *
 * Exit codes: 0 when a signal stopped the app and every close step finished within
 * SHUTDOWN_TIMEOUT_MS; 1 when the shutdown was forced (a step overran or failed, the hard deadline
 * passed) or started by a fatal error.
 */

/**
 * Time past SHUTDOWN_TIMEOUT_MS before the process exits whatever is still running. The close steps
 * share the timeout, and each one still due when it runs out gets at least 100 ms more (six steps).
 */
export const SHUTDOWN_GRACE_MS = 3_000;
export const hardDeadlineMs = (shutdownTimeoutMs: number): number => shutdownTimeoutMs + SHUTDOWN_GRACE_MS;

export interface Stoppable {
  config: { shutdownTimeoutMs: number };
  /** Resolves true when every close step finished in time. */
  stop(): Promise<boolean>;
}

/** An error's type, message and stack, bounded: whatever was thrown, the log line stays small. */
const describe = (reason: unknown) =>
  reason instanceof Error
    ? { type: reason.name, message: reason.message.slice(0, 500), stack: reason.stack?.slice(0, 2000) }
    : { type: typeof reason, message: String(reason).slice(0, 500) };

export interface LifecycleDeps {
  logger: Logger;
  exit: (code: number) => void;
  /** Counts each unhandled rejection (a metric). */
  onRejection?: () => void;
}

export const createLifecycle = (deps: LifecycleDeps) => {
  let app: Stoppable | undefined;
  let wanted = false;
  let stopping = false;
  let fatal = false;

  const stop = () => {
    if (!app || stopping) return;
    stopping = true;
    const deadlineMs = hardDeadlineMs(app.config.shutdownTimeoutMs);
    // Not unref'd: the process must not drift into a natural exit 0 while the stop is stuck.
    const timer = setTimeout(() => {
      deps.logger.error({ deadlineMs }, 'shutdown overran its deadline, exiting now');
      deps.exit(1);
    }, deadlineMs);
    app.stop().then(
      (clean) => {
        clearTimeout(timer);
        if (!clean) deps.logger.warn('shutdown was forced: some work was handed back unfinished');
        deps.exit(clean && !fatal ? 0 : 1);
      },
      (err: unknown) => {
        clearTimeout(timer);
        deps.logger.error({ err: describe(err) }, 'shutdown failed');
        deps.exit(1);
      },
    );
  };

  const lifecycle = {
    /** The app is up: a shutdown asked for during start-up begins now. */
    started(started: Stoppable) {
      app = started;
      if (wanted) stop();
    },
    /** SIGTERM / SIGINT: stop cleanly, within the deadline. */
    shutDown() {
      wanted = true;
      stop();
    },
    /** The process cannot be trusted any more: stop as cleanly as possible, exit non-zero. */
    fatal(err: unknown, origin: string) {
      deps.logger.fatal({ err: describe(err), origin }, 'uncaught exception, shutting down');
      fatal = true;
      wanted = true;
      if (!app) deps.exit(1);
      else stop();
    },
    /** A promise nobody awaited failed: logged and counted, never fatal. */
    rejection(reason: unknown) {
      deps.logger.error({ err: describe(reason) }, 'unhandled promise rejection');
      deps.onRejection?.();
    },
    install(proc: NodeJS.Process = process) {
      proc.on('unhandledRejection', (reason) => lifecycle.rejection(reason));
      proc.on('uncaughtException', (err, origin) => lifecycle.fatal(err, origin));
    },
  };
  return lifecycle;
};
