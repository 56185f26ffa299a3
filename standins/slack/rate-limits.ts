import { asString } from './params.js';
import type { Params, RateLimitOptions, RateLimitRule } from './types.js';

/**
 * Slack's published per-method limits (Web API rate limit tiers,
 * https://docs.slack.dev/apis/web-api/rate-limits; chat.postMessage about one a second per
 * channel). Slack allows "bursts" without a number; the burst sizes here are our choice, small
 * enough that a test can reach the limit quickly.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, RateLimitRule>> = Object.freeze({
  'chat.postMessage': { perMinute: 60, burst: 3, perChannel: true }, // ~1/s per channel
  'chat.startStream': { perMinute: 20, burst: 2 }, // Tier 2
  'chat.update': { perMinute: 50, burst: 5 }, // Tier 3
  'reactions.add': { perMinute: 50, burst: 5 }, // Tier 3
  'reactions.remove': { perMinute: 20, burst: 3 }, // Tier 2 (not 3 like reactions.add)
  'chat.stopStream': { perMinute: 20, burst: 3 }, // Tier 2
  'chat.delete': { perMinute: 50, burst: 5 }, // Tier 3
  'agents.sessions.setStatus': { perMinute: 50, burst: 5 }, // Tier 3
  'conversations.replies': { perMinute: 50, burst: 5 }, // Tier 3
  'views.publish': { perMinute: 100, burst: 10 }, // Tier 4
  'chat.appendStream': { perMinute: 100, burst: 10 }, // Tier 4
});

/**
 * Slack's side of a rate limit, the oracle the bot's own pacing (src/out/pacing.ts) is tested
 * against; so it is written apart from the bot's bucket, which a bug there could not then hide.
 */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rule: RateLimitRule,
    private readonly timeScale: number,
  ) {
    this.tokens = rule.burst;
    this.last = Date.now();
  }

  /** Takes a token, or returns the whole seconds until one is available (Slack's Retry-After is an integer). */
  take(now: number): number | undefined {
    const perMs = (this.rule.perMinute / 60_000) * this.timeScale;
    this.tokens = Math.min(this.rule.burst, this.tokens + (now - this.last) * perMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / perMs / 1000));
  }
}

/** Per-method (and for chat.postMessage per-channel) buckets; off until `set(true)`. */
export class RateLimits {
  private on = false;
  private opts: RateLimitOptions = {};
  private readonly buckets = new Map<string, TokenBucket>();

  set(on: boolean, opts: RateLimitOptions = {}): void {
    this.on = on;
    this.opts = opts;
    this.buckets.clear();
  }

  /** Undefined when the call may go ahead; otherwise the Retry-After seconds. */
  check(method: string, params: Params): number | undefined {
    if (!this.on) return undefined;
    const rule = this.opts.rules?.[method] ?? DEFAULT_RATE_LIMITS[method];
    if (!rule) return undefined;
    const key = rule.perChannel ? `${method}:${asString(params.channel) ?? ''}` : method;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rule, this.opts.timeScale ?? 1);
      this.buckets.set(key, bucket);
    }
    return bucket.take(Date.now());
  }
}
