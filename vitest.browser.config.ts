import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: the playground driven in Debian's chromium through playwright-core. Kept out
 * of `npm test` (its files end in `.browser.ts`, which vitest.config.ts's `*.test.ts` never matches):
 * it needs a browser and starts the whole playground, Redis and both bot processes included.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    // Steps share one page and one playground, in order.
    fileParallelism: false,
    testTimeout: 150_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
