import { errorFields } from './errors.js';
import type { Logger } from './logger.js';
import { sleep } from './time.js';

/** Pause before the second try, doubled for each try after it: a Redis blip is usually over within a second. */
const RETRY_DELAY_MS = 200;

/**
 * A step whose failure must not change the outcome: bookkeeping after an answer was posted, a note
 * or badge that only decorates a result already decided. It is tried up to `attempts` times
 * (default 1); a last failure is logged (with `what`) and swallowed, and the result is then undefined.
 */
export const bestEffort = async <T>(
  log: Logger,
  what: string,
  step: () => Promise<T>,
  opts: { attempts?: number } = {},
): Promise<T | undefined> => {
  const attempts = Math.max(1, opts.attempts ?? 1);
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= attempts) {
        log.warn({ what, attempts, err: errorFields(err) }, 'best-effort step failed; carrying on');
        return undefined;
      }
      await sleep(RETRY_DELAY_MS * 2 ** (attempt - 1));
    }
  }
};
