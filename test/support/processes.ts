import { afterAll, onTestFinished } from 'vitest';
import { setCleanupScope, stopAll } from '../../standins/processes.js';

/**
 * The child processes of standins/processes.ts, each stopped at the end of the test that started
 * it (or of the file, when started in a hook); import them from here in tests.
 */

export * from '../../standins/processes.js';

// Outside a vitest file (global setup, a script) there is no suite to attach to; the exit handler still applies.
try {
  afterAll(stopAll);
} catch {
  // not collecting a test file
}

setCleanupScope((stop) => {
  try {
    onTestFinished(async () => {
      await stop();
    });
  } catch {
    // Started in a hook: afterAll(stopAll) covers it.
  }
});
