/**
 * Time for tests. `auto`: every sleep advances the clock and resolves at once (records the ms).
 * Manual: sleeps wait until `advance` passes their deadline, or reject with the signal's reason
 * when it aborts first, as core/time.ts's `sleep` does.
 */
export const testClock = (opts: { auto: boolean }) => {
  let t = 1_700_000_000_000;
  const sleeps: number[] = [];
  const waiting: Array<{ at: number; resolve: () => void }> = [];
  return {
    sleeps,
    now: () => t,
    sleep: (ms: number, signal?: AbortSignal): Promise<void> => {
      sleeps.push(ms);
      if (opts.auto) {
        t += Math.max(0, ms);
        return new Promise((resolve) => setImmediate(resolve));
      }
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const entry = { at: t + ms, resolve };
        waiting.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            const i = waiting.indexOf(entry);
            if (i !== -1) waiting.splice(i, 1);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    advance(ms: number) {
      t += ms;
      for (const w of [...waiting]) {
        if (w.at <= t) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    pending: () => waiting.length,
  };
};
