import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/core/time.js';
import { pauseUnlessStopped } from '../../src/out/pacing.js';

describe('a pause that a stop ends early', () => {
  it('resolves quietly, at once, when the loop is told to stop', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const pausing = pauseUnlessStopped(sleep, 60_000, stop.signal);
    stop.abort();
    await expect(pausing).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('still fails for anything but the stop', async () => {
    const broken = () => Promise.reject(new Error('clock broke'));
    await expect(pauseUnlessStopped(broken, 10, new AbortController().signal)).rejects.toThrow('clock broke');
  });
});
