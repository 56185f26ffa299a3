import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/core/time.js';

describe('the abortable sleep', () => {
  it('resolves once the time has passed', async () => {
    const started = Date.now();
    await expect(sleep(20)).resolves.toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('rejects with the signal’s reason when aborted during the wait, at once', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const waiting = sleep(60_000, abort.signal);
    abort.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('rejects without waiting when the signal has already aborted', async () => {
    await expect(sleep(60_000, AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
  });
});
