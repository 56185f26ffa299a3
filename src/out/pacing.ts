import { sleep as realSleep, type Sleep } from '../core/time.js';

/**
 * Pacing for answers that grow in place. Slack's per-method limits are per workspace and shared by
 * every answer in flight: chat.appendStream is Tier 4 (~100/min), chat.update Tier 3 (~50/min),
 * chat.startStream Tier 2 (~20/min). Each answer flushes every
 * `max(minIntervalMs, active × 60 000 / perMinute)`, so the sum over all answers stays within the
 * budget however many run at once, and a token bucket per method absorbs the jitter. Budgets sit
 * at 80 % of Slack's numbers (budget + burst stays below the limit), so pacing never causes a 429.
 * The counts are per process: a deployment with several web or worker processes shares the limit.
 */

export type FlushKind = 'stream' | 'update';

export interface MethodBudget {
  /** Calls per minute this process allows itself. */
  perMinute: number;
  /** Calls that may go out back to back before the rate applies. */
  burst: number;
}

export interface Pacing {
  /** chat.appendStream budget and the shortest interval between one answer's appends. */
  stream: MethodBudget & { minIntervalMs: number };
  /** chat.update budget and the shortest interval between one answer's edits. */
  update: MethodBudget & { minIntervalMs: number };
  /** chat.startStream budget; an answer that would wait longer than `maxWaitMs` posts a message instead. */
  start: MethodBudget & { maxWaitMs: number };
}

export const DEFAULT_PACING: Pacing = {
  stream: { perMinute: 80, burst: 10, minIntervalMs: 1000 },
  update: { perMinute: 40, burst: 5, minIntervalMs: 1500 },
  // Tier 2 (~20/min) with little burst; no waiting for a token: a posted message is as good.
  start: { perMinute: 16, burst: 2, maxWaitMs: 0 },
};

/** The flush interval for one answer when `active` answers of this kind are in flight. */
export const flushIntervalMs = (
  kind: FlushKind,
  active: number,
  pacing: Pick<Pacing, FlushKind> = DEFAULT_PACING,
): number => {
  const p = pacing[kind];
  return Math.max(p.minIntervalMs, Math.ceil((Math.max(1, active) * 60_000) / p.perMinute));
};

/** A token bucket that hands out reservations: each call takes a token now or waits for one. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly budget: MethodBudget,
    private readonly now: () => number,
  ) {
    this.tokens = budget.burst;
    this.last = now();
  }

  /** Milliseconds until a token would be free, without taking it. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 60_000) / this.budget.perMinute);
  }

  /** Takes a token and returns how long to wait before using it. */
  reserve(): number {
    const wait = this.waitMs();
    this.tokens -= 1;
    return wait;
  }

  private refill(): void {
    const t = this.now();
    const gained = ((t - this.last) * this.budget.perMinute) / 60_000;
    this.tokens = Math.min(this.budget.burst, this.tokens + gained);
    this.last = t;
  }
}

export interface Pacer {
  /** Counts an answer of `kind` as in flight; the handle moves it between kinds and releases it. */
  register(kind: FlushKind): PacerSlot;
  active(kind: FlushKind): number;
  interval(kind: FlushKind): number;
  /** Waits for a chat.appendStream or chat.update token. */
  acquire(kind: FlushKind): Promise<void>;
  /** Takes a chat.startStream token if one is free within `start.maxWaitMs`, waiting for it; false otherwise. */
  tryAcquireStart(): Promise<boolean>;
}

export interface PacerSlot {
  readonly kind: FlushKind;
  switchTo(kind: FlushKind): void;
  release(): void;
}

export const createPacer = (
  opts: { pacing?: Partial<Pacing>; now?: () => number; sleep?: Sleep } = {},
): Pacer => {
  const pacing: Pacing = { ...DEFAULT_PACING, ...opts.pacing };
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const counts: Record<FlushKind, number> = { stream: 0, update: 0 };
  const buckets = {
    stream: new TokenBucket(pacing.stream, now),
    update: new TokenBucket(pacing.update, now),
    start: new TokenBucket(pacing.start, now),
  };

  const register = (initial: FlushKind): PacerSlot => {
    let kind: FlushKind | undefined = initial;
    counts[initial] += 1;
    return {
      get kind() {
        return kind ?? initial;
      },
      switchTo(next) {
        if (kind === undefined || kind === next) return;
        counts[kind] -= 1;
        counts[next] += 1;
        kind = next;
      },
      release() {
        if (kind === undefined) return;
        counts[kind] -= 1;
        kind = undefined;
      },
    };
  };

  return {
    register,
    active: (kind) => counts[kind],
    interval: (kind) => flushIntervalMs(kind, counts[kind], pacing),
    acquire: async (kind) => {
      const wait = buckets[kind].reserve();
      if (wait > 0) await sleep(wait);
    },
    tryAcquireStart: async () => {
      if (buckets.start.waitMs() > pacing.start.maxWaitMs) return false;
      const wait = buckets.start.reserve();
      if (wait > 0) await sleep(wait);
      return true;
    },
  };
};

/**
 * Sleeps `ms`, or less when `signal` aborts: a loop that is told to stop wakes at once and stops
 * quietly (the sleep's abort rejection is how it wakes, not a failure).
 */
export const pauseUnlessStopped = (sleep: Sleep, ms: number, signal: AbortSignal): Promise<void> =>
  sleep(ms, signal).catch((err: unknown) => {
    if (!signal.aborted) throw err;
  });
