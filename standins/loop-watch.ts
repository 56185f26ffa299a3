/**
 * Measures the longest stretch the event loop was blocked: a setImmediate chain runs once per loop
 * iteration, so the widest gap between two of its ticks is the longest run of synchronous work
 * (what an ack or a /healthz would have waited for). On a busy machine that wall-clock gap also
 * holds the time the OS gave other processes, so the CPU time this process used in the same
 * stretch is kept too: the length of the work itself (it includes V8's helper threads, so it
 * errs long).
 */
export interface LoopWatch {
  /** Stops watching: the widest gap in ms, and the most CPU ms used within one gap. */
  stop(): { worstBlockMs: number; worstCpuMs: number };
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export const watchEventLoop = (): LoopWatch => {
  let last = performance.now();
  let lastCpu = cpuMs();
  let worst = 0;
  let worstCpu = 0;
  let stopped = false;
  const mark = () => {
    const now = performance.now();
    const cpu = cpuMs();
    worst = Math.max(worst, now - last);
    worstCpu = Math.max(worstCpu, cpu - lastCpu);
    last = now;
    lastCpu = cpu;
  };
  const tick = () => {
    mark();
    if (!stopped) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop() {
      stopped = true;
      mark();
      return { worstBlockMs: worst, worstCpuMs: worstCpu };
    },
  };
};

/** Runs `fn` while watching the loop: its result, the worst block (wall and CPU) and the wall time. */
export const measureBlocking = async <T>(
  fn: () => Promise<T>,
): Promise<{ result: T; worstBlockMs: number; worstCpuMs: number; wallMs: number }> => {
  const watch = watchEventLoop();
  const started = performance.now();
  const result = await fn();
  const wallMs = performance.now() - started;
  return { result, ...watch.stop(), wallMs };
};
