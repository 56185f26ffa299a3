/**
 * Measures the longest stretch the event loop was blocked: a setImmediate chain runs once per loop
 * iteration, so the widest gap between two of its ticks is the longest run of synchronous work
 * (what an ack or a /healthz would have waited for).
 */
export const watchEventLoop = (): { stop(): number } => {
  let last = performance.now();
  let worst = 0;
  let stopped = false;
  const tick = () => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
    if (!stopped) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      stopped = true;
      return Math.max(worst, performance.now() - last);
    },
  };
};

/** Runs `fn` while watching the loop: its result, the worst block and the wall time. */
export const measureBlocking = async <T>(
  fn: () => Promise<T>,
): Promise<{ result: T; worstBlockMs: number; wallMs: number }> => {
  const watch = watchEventLoop();
  const started = performance.now();
  const result = await fn();
  const wallMs = performance.now() - started;
  return { result, worstBlockMs: watch.stop(), wallMs };
};
