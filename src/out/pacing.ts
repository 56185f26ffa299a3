import type { Sleep } from '../core/time.js';
import { SLACK_LIMITS } from './slack-limits.js';

/**
 * How often an answer that grows in place is flushed. Slack's per-method limits are per workspace
 * and shared by every answer in flight: chat.appendStream is Tier 4, chat.update Tier 3
 * (slack-limits.ts). Each answer flushes every `max(minIntervalMs, active × 60 000 / perMinute)`
 * at 80 % of Slack's rate, so the answers this process runs leave room for other processes and
 * other writes. The calls themselves take their tokens from the shared Slack budget
 * (slack-budget.ts), which holds the whole fleet within the limits; this only keeps a crowd of
 * answers from queueing there.
 */

export type FlushKind = 'stream' | 'update';

interface FlushPace {
  /** Flushes per minute, for all of this process's answers of the kind together. */
  perMinute: number;
  /** The shortest interval between one answer's flushes. */
  minIntervalMs: number;
}

const FLUSH_SHARE = 0.8;
const rateOf = (method: string) => (SLACK_LIMITS[method]?.perMinute ?? 0) * FLUSH_SHARE;

const PACING: Record<FlushKind, FlushPace> = {
  stream: { perMinute: rateOf('chat.appendStream'), minIntervalMs: 1000 },
  update: { perMinute: rateOf('chat.update'), minIntervalMs: 1500 },
};

/** The flush interval for one answer when `active` answers of this kind are in flight. */
export const flushIntervalMs = (kind: FlushKind, active: number): number => {
  const p = PACING[kind];
  return Math.max(p.minIntervalMs, Math.ceil((Math.max(1, active) * 60_000) / p.perMinute));
};

export interface Pacer {
  /** Counts an answer of `kind` as in flight; the handle moves it between kinds and releases it. */
  register(kind: FlushKind): PacerSlot;
  active(kind: FlushKind): number;
  interval(kind: FlushKind): number;
}

export interface PacerSlot {
  readonly kind: FlushKind;
  switchTo(kind: FlushKind): void;
  release(): void;
}

export const createPacer = (): Pacer => {
  const counts: Record<FlushKind, number> = { stream: 0, update: 0 };

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
    interval: (kind) => flushIntervalMs(kind, counts[kind]),
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
