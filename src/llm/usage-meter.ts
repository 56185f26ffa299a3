import type { ChatMessage } from '../core/domain.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { UsageEntry, UsageStore } from '../sessions/usage.js';
import { countMessages, countTokens } from './budget.js';
import type { LlmClient, LlmUsage } from './types.js';

/** USD per 1M tokens, by model (LLM_PRICES). */
export type PriceTable = Readonly<Record<string, { input: number; output: number }>>;

/**
 * The price of `model`: its own entry, else the longest entry it starts with (the provider reports
 * `gpt-4o-mini-2024-07-18` for `gpt-4o-mini`), else the configured model's.
 */
export const priceOf = (prices: PriceTable, model: string, configured: string) => {
  if (prices[model]) return prices[model];
  const prefix = Object.keys(prices)
    .filter((name) => model.startsWith(name))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? prices[prefix] : prices[configured];
};

export const costOf = (
  usage: LlmUsage,
  price: { input: number; output: number } | undefined,
): number | undefined =>
  price ? (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1e6 : undefined;

/** Our tokenizer's count of a call whose provider reported no usage (older vLLM, some proxies). */
const estimate = async (messages: readonly ChatMessage[], text: string): Promise<LlmUsage> => ({
  promptTokens: await countMessages(messages),
  completionTokens: text ? await countTokens(text) : 0,
});

/**
 * Counts every call made for a request (`req.account`) in the usage store, after it ends: tokens
 * as the provider's `usage` reports them (prompt + completion), else as our tokenizer counts them
 * (marked estimated), and the cost when the model has a price. A failed or cancelled call counts
 * what the provider reported, which is nothing with OpenAI: it sends `usage` in the stream's last
 * chunk only. Recording never fails the answer: a Redis error is logged.
 *
 * It sits on the LLM client, the one place every answer passes with its request's team and user,
 * foreground (answer/foreground.ts) and background (queue/answer-processor.ts) alike, retries
 * included: each call is what the provider bills.
 */
export const withUsageMeter = (
  llm: LlmClient,
  deps: {
    usage: Pick<UsageStore, 'record'>;
    prices: PriceTable;
    model: string;
    logger: Logger;
  },
): LlmClient => {
  const log = deps.logger.child({ component: 'usage' });
  const record = async (account: { teamId: string; userId: string }, entry: UsageEntry) => {
    try {
      await deps.usage.record(account, entry);
    } catch (err) {
      log.warn({ teamId: account.teamId, err: errorFields(err) }, 'usage not recorded');
    }
  };
  return {
    async stream(req) {
      const account = req.account;
      if (!account) return llm.stream(req);
      const result = await llm.stream(req);
      const usage = result.usage ?? (await estimate(req.messages, result.text).catch(() => undefined));
      if (usage) {
        const costUsd = costOf(usage, priceOf(deps.prices, result.model, deps.model));
        await record(account, {
          ...usage,
          ...(costUsd !== undefined ? { costUsd } : {}),
          ...(result.usage ? {} : { estimated: true }),
        });
      }
      return result;
    },
  };
};
