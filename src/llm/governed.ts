import { type ChatMessage, contentImages, contentText } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import { IMAGE_TOKENS } from './budget.js';
import { LlmError } from './errors.js';
import type { LlmGovernor, LlmPriority } from './governor.js';
import type { GovernorMetrics } from './governor-metrics.js';
import { hasHints, rateLimitHints } from './ratelimit-headers.js';
import type { LlmClient } from './types.js';

/**
 * The LLM client under the governor: each call first takes a slot and its tokens from the shared
 * budget (waiting as long as it takes; a cancel ends the wait), and gives the slot back when it
 * ends, with the tokens it did not use. In-process retries run inside the slot: each is a request
 * to the provider, but they are rare, and a 429 holds every process through `observe` anyway.
 *
 * A background job waits here in-process: BullMQ keeps renewing its lock, and the wait is no
 * attempt, so `attemptsMade` is untouched however long the budget binds.
 */

/** The provider counts a request's tokens before it runs, from its text: about 4 characters a token. */
export const estimatePromptTokens = (messages: readonly ChatMessage[]): number =>
  messages.reduce(
    (sum, m) =>
      sum + 4 + Math.ceil(contentText(m.content).length / 4) + IMAGE_TOKENS * contentImages(m.content),
    3,
  );

export const withGovernor = (
  llm: LlmClient,
  deps: {
    governor: Pick<LlmGovernor, 'acquire'>;
    priority: LlmPriority;
    maxAnswerTokens: number;
    logger: Logger;
    metrics?: Pick<GovernorMetrics, 'waits' | 'waitSeconds'>;
  },
): LlmClient => {
  const log = deps.logger.child({ component: 'llm-governor', priority: deps.priority });
  return {
    async stream(req) {
      const tokens = estimatePromptTokens(req.messages) + (req.maxTokens ?? deps.maxAnswerTokens);
      const startedAt = performance.now();
      let waits = 0;
      let lease: Awaited<ReturnType<LlmGovernor['acquire']>>;
      try {
        lease = await deps.governor.acquire(deps.priority, tokens, {
          ...(req.signal ? { signal: req.signal } : {}),
          onWait: () => {
            waits++;
          },
        });
      } catch (err) {
        if (req.signal?.aborted)
          throw new LlmError('cancelled', 'LLM call cancelled while waiting for budget');
        throw err;
      }
      if (waits > 0) {
        const waitedMs = performance.now() - startedAt;
        deps.metrics?.waits.inc({ priority: deps.priority });
        deps.metrics?.waitSeconds.observe({ priority: deps.priority }, waitedMs / 1000);
        log.debug({ waitedMs: Math.round(waitedMs), tokens }, 'llm budget wait over');
      }
      let used: number | undefined;
      try {
        const result = await llm.stream(req);
        if (result.usage) used = result.usage.promptTokens + result.usage.completionTokens;
        return result;
      } finally {
        await lease.release(used).catch((err: unknown) => {
          // The slot lapses with its lease anyway; a failed release only holds it that long.
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'llm slot release failed');
        });
      }
    },
  };
};

/** What the client tells the governor about each response (`LlmClientDeps.onResponse`). */
export const observeResponses =
  (governor: Pick<LlmGovernor, 'observe'>, logger: Logger, metrics?: Pick<GovernorMetrics, 'holds'>) =>
  (status: number, headers: Headers): void => {
    const hints = rateLimitHints(status, headers);
    if (!hasHints(hints)) return;
    if (hints.holdMs !== undefined) metrics?.holds.inc();
    governor.observe(hints).catch((err: unknown) => {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'llm budget update failed');
    });
  };
