import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../../src/core/time.js';

afterEach(() => {
  vi.useRealTimers();
});

const outcome = (p: Promise<void>) =>
  p.then(
    () => 'resolved' as const,
    (err: unknown) => err,
  );

describe('sleep', () => {
  it('resolves once the time has passed, and leaves no listener on the signal', async () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    let done = false;
    const slept = sleep(1_000, stop.signal).then(() => {
      done = true;
    });

    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slept;

    expect(done).toBe(true);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it("rejects with the signal's reason when it aborts first, and clears its timer", async () => {
    vi.useFakeTimers();
    const stop = new AbortController();
    const why = new Error('shutting down');
    const slept = outcome(sleep(60_000, stop.signal));

    stop.abort(why);

    expect(await slept).toBe(why);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects at once when the signal has already aborted', async () => {
    const why = new Error('too late');

    expect(await outcome(sleep(60_000, AbortSignal.abort(why)))).toBe(why);
  });

  it('waits without a signal', async () => {
    vi.useFakeTimers();
    const slept = outcome(sleep(10));

    await vi.advanceTimersByTimeAsync(10);

    expect(await slept).toBe('resolved');
  });
});
