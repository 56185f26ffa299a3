import { describe, expect, it } from 'vitest';
import { DISPOSITIONS, type Disposition, dispositionOf } from '../../src/core/disposition.js';
import { AppError, ERROR_CODES } from '../../src/core/errors.js';

const ALL: readonly Disposition[] = ['retry', 'tell_privately', 'tell_in_thread', 'ignore'];
const coded = (code: (typeof ERROR_CODES)[number], retryable = false) =>
  new AppError(code, `failed: ${code}`, { retryable });
/** What the fail-fast producer connection rejects with while Redis is down. */
const redisDropped = () => new Error('Connection is closed.');

describe('the disposition table', () => {
  it('gives every error code one of the four dispositions, and names no other code', () => {
    for (const code of ERROR_CODES) expect(ALL).toContain(DISPOSITIONS[code]);
    expect(Object.keys(DISPOSITIONS).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('ignores only a cancellation (the queue announces an ignored failure as one)', () => {
    const ignored = ERROR_CODES.filter((code) => DISPOSITIONS[code] === 'ignore');
    expect(ignored).toEqual(['cancelled']);
  });
});

describe('dispositionOf', () => {
  it('retries storage trouble wherever it happens', () => {
    const err = coded('redis_unavailable', true);
    expect(dispositionOf(err)).toBe('retry');
    expect(dispositionOf(err, { ownsRetries: true })).toBe('retry');
  });

  it('tells the asker alone of a limit or a request that cannot be acted on, even where retries are owned', () => {
    for (const code of ['user_rate_limited', 'user_queue_full', 'thread_busy', 'invalid_payload'] as const) {
      expect(dispositionOf(coded(code))).toBe('tell_privately');
      expect(dispositionOf(coded(code), { ownsRetries: true })).toBe('tell_privately');
    }
  });

  it('says a failed answer in the thread; a transient one is retried only where the job owns the retry', () => {
    const rateLimited = coded('llm_rate_limited', true);
    expect(dispositionOf(rateLimited)).toBe('tell_in_thread');
    expect(dispositionOf(rateLimited, { ownsRetries: true })).toBe('retry');

    const slack5xx = coded('slack_api', true);
    expect(dispositionOf(slack5xx)).toBe('tell_in_thread');
    expect(dispositionOf(slack5xx, { ownsRetries: true })).toBe('retry');
  });

  it('never retries a final failure of an answer', () => {
    for (const code of ['llm_quota_exceeded', 'llm_auth', 'llm_bad_request', 'slack_api'] as const)
      expect(dispositionOf(coded(code), { ownsRetries: true })).toBe('tell_in_thread');
  });

  it('treats a dropped Redis connection as transient: retried by a job that owns it, said otherwise', () => {
    expect(dispositionOf(redisDropped())).toBe('tell_in_thread');
    expect(dispositionOf(redisDropped(), { ownsRetries: true })).toBe('retry');
  });

  it('ignores a cancellation, even one marked retryable', () => {
    expect(dispositionOf(coded('cancelled', true), { ownsRetries: true })).toBe('ignore');
    expect(dispositionOf(coded('cancelled'))).toBe('ignore');
  });

  it('says an error without a code in the thread, like any unexpected failure', () => {
    expect(dispositionOf(new TypeError('x is undefined'), { ownsRetries: true })).toBe('tell_in_thread');
    expect(dispositionOf('a string was thrown')).toBe('tell_in_thread');
    expect(dispositionOf({ code: 'redis_unavailable' })).toBe('tell_in_thread');
  });
});
