import { errorFields } from './errors.js';
import type { Logger } from './logger.js';
import { withTimeout } from './time.js';

export interface ShutdownStep {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * Runs the close steps in order, each given what is left of one overall deadline. A step that
 * fails or overruns is logged and the next one still runs: a stuck queue must not keep Redis open
 * forever.
 */
export const runShutdown = async (
  steps: ShutdownStep[],
  deadlineMs: number,
  logger: Logger,
): Promise<boolean> => {
  const end = Date.now() + deadlineMs;
  let clean = true;
  for (const step of steps) {
    const left = Math.max(end - Date.now(), 100);
    try {
      await withTimeout(step.run(), left, step.name);
      logger.debug({ step: step.name }, 'closed');
    } catch (err) {
      clean = false;
      logger.warn({ step: step.name, err: errorFields(err) }, 'shutdown step did not finish cleanly');
    }
  }
  return clean;
};
