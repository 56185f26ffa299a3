import type { Params, SlackFault } from './types.js';

/** Faults queued by a test, taken in order by the calls they match. */
export class FaultQueue {
  private faults: { method: string; fault: SlackFault; left: number }[] = [];

  /** Queues a fault for the next call(s) to `method` (`'*'` for any method). */
  push(method: string, fault: SlackFault): void {
    this.faults.push({ method, fault, left: fault.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  /** The first queued fault that matches this call, used up once. */
  take(method: string, params: Params): SlackFault | undefined {
    const i = this.faults.findIndex(
      (f) => (f.method === method || f.method === '*') && (!f.fault.match || f.fault.match(params)),
    );
    if (i < 0) return undefined;
    const entry = this.faults[i]!;
    entry.left -= 1;
    if (entry.left <= 0) this.faults.splice(i, 1);
    return entry.fault;
  }
}

/** Whether the fault answers with an error (rather than only delaying, hanging or dropping). */
export const isFailing = (f: SlackFault | undefined): f is SlackFault =>
  f !== undefined && (f.status !== undefined || f.error !== undefined);

/** The answer a failing fault gives: status, `{ ok: false, error }`, and `Retry-After` with a 429. */
export const faultAnswer = (f: SlackFault) => {
  const status = f.status ?? (f.error ? 200 : 500);
  const error = f.error ?? (status === 429 ? 'ratelimited' : 'internal_error');
  const headers: Record<string, string> = status === 429 ? { 'retry-after': String(f.retryAfter ?? 1) } : {};
  return { status, body: { ok: false, error }, headers };
};
