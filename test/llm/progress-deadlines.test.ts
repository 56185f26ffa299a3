import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { type Expiry, watchDeadlines } from '../../src/llm/progress-deadlines.js';

/** The call deadlines on a fake clock, with the default settings. */
const defaults = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 's' }).openai;

const watch = () => {
  const expired: Array<{ expiry: Expiry; at: number }> = [];
  const started = Date.now();
  const deadlines = watchDeadlines({
    ...defaults,
    now: () => Date.now(),
    onExpire: (expiry) => expired.push({ expiry, at: Date.now() - started }),
  });
  return { deadlines, expired };
};

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('call deadlines with the default settings', () => {
  it('give up on a call with no answer text at 30 s, well within 45 s', () => {
    const { expired } = watch();
    vi.advanceTimersByTime(29_999);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual([{ expiry: 'first_token', at: 30_000 }]);
    vi.advanceTimersByTime(200_000);
    expect(expired).toHaveLength(1);
  });

  it('let an answer that keeps streaming run past 45 s, up to LLM_TIMEOUT_MS', () => {
    const { deadlines, expired } = watch();
    for (let t = 1_000; t < 110_000; t += 20_000) {
      vi.advanceTimersByTime(t === 1_000 ? 1_000 : 20_000);
      deadlines.progress();
    }
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(30_000);
    expect(expired).toEqual([{ expiry: 'total', at: 120_000 }]);
  });

  it('give up 30 s after the last piece of a stream that stalls', () => {
    const { deadlines, expired } = watch();
    vi.advanceTimersByTime(2_000);
    deadlines.progress();
    vi.advanceTimersByTime(5_000);
    deadlines.progress();
    expect(deadlines.remainingMs()).toBe(30_000);
    vi.advanceTimersByTime(30_000);
    expect(expired).toEqual([{ expiry: 'idle', at: 37_000 }]);
  });

  it('never fire once stopped', () => {
    const { deadlines, expired } = watch();
    deadlines.stop();
    vi.advanceTimersByTime(300_000);
    expect(expired).toEqual([]);
    expect(deadlines.remainingMs()).toBe(Number.POSITIVE_INFINITY);
  });
});

it('fires an idle deadline shorter than what was left of the first-token one', () => {
  const expired: Expiry[] = [];
  vi.useFakeTimers();
  try {
    const d = watchDeadlines({
      timeoutMs: 60_000,
      firstTokenTimeoutMs: 30_000,
      idleTimeoutMs: 1_000,
      now: () => Date.now(),
      onExpire: (e) => expired.push(e),
    });
    vi.advanceTimersByTime(100);
    d.progress();
    vi.advanceTimersByTime(1_000);
    expect(expired).toEqual(['idle']);
  } finally {
    vi.useRealTimers();
  }
});
