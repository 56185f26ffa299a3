import { retryAfterMsFrom } from './retry-policy.js';

/**
 * What a provider's response says about the key's rate limits. OpenAI (and Azure, vLLM behind
 * LiteLLM, …) send `x-ratelimit-limit-requests|tokens`, `x-ratelimit-remaining-requests|tokens`
 * and `x-ratelimit-reset-requests|tokens` (a duration such as `1s`, `6m0s`, `20ms`: the time until
 * that limit is whole again); a 429 carries `retry-after`. Anything missing or malformed is left out.
 */
export interface RateLimitHints {
  limitRequests?: number;
  limitTokens?: number;
  remainingRequests?: number;
  remainingTokens?: number;
  /** Send nothing for this long: a 429's retry-after, or a limit used up until its reset. */
  holdMs?: number;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** `6m0s` → 360000; `20ms` → 20; `1.5s` → 1500; a bare number is seconds; undefined when malformed. */
export const parseResetMs = (raw: string | null | undefined): number | undefined => {
  const text = raw?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2] ?? 's'] ?? 0), 0));
};

const count = (headers: Headers, name: string): number | undefined => {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
};

export const rateLimitHints = (status: number, headers: Headers, now = Date.now()): RateLimitHints => {
  const hints: RateLimitHints = {};
  const set = <K extends keyof RateLimitHints>(key: K, value: RateLimitHints[K]) => {
    if (value !== undefined) hints[key] = value;
  };
  set('limitRequests', count(headers, 'x-ratelimit-limit-requests'));
  set('limitTokens', count(headers, 'x-ratelimit-limit-tokens'));
  set('remainingRequests', count(headers, 'x-ratelimit-remaining-requests'));
  set('remainingTokens', count(headers, 'x-ratelimit-remaining-tokens'));
  const holds: number[] = [];
  if (hints.remainingRequests === 0) holds.push(parseResetMs(headers.get('x-ratelimit-reset-requests')) ?? 0);
  if (hints.remainingTokens === 0) holds.push(parseResetMs(headers.get('x-ratelimit-reset-tokens')) ?? 0);
  // Only a rate-limit 429 says "wait": insufficient_quota carries no retry-after.
  if (status === 429) holds.push(retryAfterMsFrom(headers, now) ?? 0);
  const hold = Math.max(0, ...holds);
  if (hold > 0) hints.holdMs = hold;
  return hints;
};

/** Whether the response said anything about the budget at all. */
export const hasHints = (h: RateLimitHints): boolean => Object.keys(h).length > 0;
