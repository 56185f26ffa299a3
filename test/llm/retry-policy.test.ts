import { describe, expect, it } from 'vitest';
import {
  BACKOFF_MAX_MS,
  backoffMs,
  decideRetry,
  type FailedAttempt,
  MAX_HONOURED_RETRY_AFTER_MS,
  retriesFor,
  retryAfterMsFrom,
  retryDelayMs,
} from '../../src/llm/retry-policy.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');

describe('retryAfterMsFrom', () => {
  it('reads retry-after in seconds, fractions included', () => {
    expect(retryAfterMsFrom(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMsFrom(new Headers({ 'retry-after': '0.25' }))).toBe(250);
  });

  it('reads retry-after as an HTTP date, counted from now', () => {
    const at = new Date(NOW + 7_000).toUTCString();

    expect(retryAfterMsFrom(new Headers({ 'retry-after': at }), NOW)).toBe(7000);
  });

  it('never returns a negative wait, for a date in the past or a negative number', () => {
    const past = new Date(NOW - 60_000).toUTCString();

    expect(retryAfterMsFrom(new Headers({ 'retry-after': past }), NOW)).toBe(0);
    expect(retryAfterMsFrom(new Headers({ 'retry-after': '-5' }))).toBe(0);
  });

  it('prefers retry-after-ms (Azure) over retry-after', () => {
    expect(retryAfterMsFrom(new Headers({ 'retry-after-ms': '750', 'retry-after': '1' }))).toBe(750);
  });

  it('falls back to retry-after when retry-after-ms is unusable', () => {
    expect(retryAfterMsFrom(new Headers({ 'retry-after-ms': 'soon', 'retry-after': '1' }))).toBe(1000);
    expect(retryAfterMsFrom(new Headers({ 'retry-after-ms': '-1', 'retry-after': '1' }))).toBe(1000);
  });

  it('has no hint without the headers, or with one it cannot read', () => {
    expect(retryAfterMsFrom(undefined)).toBeUndefined();
    expect(retryAfterMsFrom(new Headers())).toBeUndefined();
    expect(retryAfterMsFrom(new Headers({ 'retry-after': 'later' }))).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('doubles from 0.5 s and stops at 8 s', () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((n) => backoffMs(n, () => 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
  });

  it('takes up to 25 % off as jitter', () => {
    expect(backoffMs(0, () => 1)).toBe(375);
    expect(backoffMs(20, () => 0.5)).toBe(BACKOFF_MAX_MS * 0.875);
  });
});

describe('retryDelayMs', () => {
  it('uses the backoff when the server gave no hint', () => {
    expect(retryDelayMs({ retryAfterMs: undefined }, 1, () => 0)).toBe(1000);
  });

  it('waits exactly the hint, up to the 30 s cap', () => {
    expect(retryDelayMs({ retryAfterMs: 0 }, 3)).toBe(0);
    expect(retryDelayMs({ retryAfterMs: 12_000 }, 0)).toBe(12_000);
    expect(retryDelayMs({ retryAfterMs: MAX_HONOURED_RETRY_AFTER_MS }, 0)).toBe(30_000);
  });

  it('will not wait out a hint over the cap', () => {
    expect(retryDelayMs({ retryAfterMs: MAX_HONOURED_RETRY_AFTER_MS + 1 }, 0)).toBeUndefined();
    expect(retryDelayMs({ retryAfterMs: 3_600_000 }, 0)).toBeUndefined();
  });
});

describe('retriesFor', () => {
  it("takes the request's count over the configured one", () => {
    expect(retriesFor(0, 3)).toBe(0);
    expect(retriesFor(undefined, 3)).toBe(3);
  });

  it('makes the count a whole number of at least 0', () => {
    expect(retriesFor(2.7, 3)).toBe(2);
    expect(retriesFor(-1, 3)).toBe(0);
    expect(retriesFor(Number.NaN, 3)).toBe(0);
    expect(retriesFor(Number.POSITIVE_INFINITY, 3)).toBe(0);
  });
});

describe('decideRetry', () => {
  const failed = (over: Partial<FailedAttempt> = {}): FailedAttempt => ({
    attempt: 0,
    retries: 3,
    textSeen: false,
    aborted: false,
    remainingMs: 60_000,
    ...over,
  });
  const retryable = { retryable: true, retryAfterMs: undefined };

  it('retries a retryable error after the backoff', () => {
    expect(decideRetry(retryable, failed({ attempt: 1 }), () => 0)).toEqual({ retry: true, waitMs: 1000 });
  });

  it("retries after the server's hint", () => {
    expect(decideRetry({ retryable: true, retryAfterMs: 2000 }, failed())).toEqual({
      retry: true,
      waitMs: 2000,
    });
  });

  it('gives up on a final error, whatever the hint', () => {
    expect(decideRetry({ retryable: false, retryAfterMs: 1000 }, failed())).toEqual({
      retry: false,
      why: 'final',
    });
  });

  it('gives up once the retries are spent', () => {
    expect(decideRetry(retryable, failed({ attempt: 3, retries: 3 }))).toEqual({
      retry: false,
      why: 'final',
    });
    expect(decideRetry(retryable, failed({ attempt: 0, retries: 0 }))).toEqual({
      retry: false,
      why: 'final',
    });
  });

  it('never retries once the user has seen text', () => {
    expect(decideRetry(retryable, failed({ textSeen: true }))).toEqual({ retry: false, why: 'final' });
  });

  it('never retries a cancelled or expired call', () => {
    expect(decideRetry(retryable, failed({ aborted: true }))).toEqual({ retry: false, why: 'final' });
  });

  it('gives up at once on a hint over the cap, keeping it for the queue', () => {
    expect(decideRetry({ retryable: true, retryAfterMs: 45_000 }, failed({ remainingMs: 120_000 }))).toEqual({
      retry: false,
      why: 'wait_too_long',
    });
  });

  it('gives up at once when the wait would reach the deadline', () => {
    const err = { retryable: true, retryAfterMs: 20_000 };

    expect(decideRetry(err, failed({ remainingMs: 20_000 }))).toEqual({ retry: false, why: 'wait_too_long' });
    expect(decideRetry(err, failed({ remainingMs: 20_001 }))).toEqual({ retry: true, waitMs: 20_000 });
  });
});
