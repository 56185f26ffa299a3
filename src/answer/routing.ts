import type { Priority } from '../core/domain.js';

export type Route =
  | { path: 'foreground' }
  | { path: 'background'; priority: Priority; reason: 'later' | 'long' | 'overflow' };

export interface RouteInput {
  /** The user asked for it: `later <question>`. */
  later: boolean;
  /** The policy's `background` (default true): false answers everything in the foreground. */
  backgroundAllowed?: boolean;
  /** Prompt tokens after trimming. */
  contextTokens: number;
  /** BACKGROUND_TOKEN_THRESHOLD. */
  longThreshold: number;
  /** Foreground answers in flight in this web process, this one excluded. */
  foregroundInFlight: number;
  /** FOREGROUND_MAX_IN_FLIGHT. */
  foregroundMax: number;
}

/**
 * Foreground or background, and at what priority, for every accepted request. Runs after the ack.
 * The user's own choice wins; then size; then load (an overflowing web process queues new work at
 * high priority instead of piling it up).
 */
export const route = (r: RouteInput): Route => {
  if (r.backgroundAllowed === false) return { path: 'foreground' };
  if (r.later) return { path: 'background', priority: 'low', reason: 'later' };
  if (r.contextTokens > r.longThreshold) return { path: 'background', priority: 'normal', reason: 'long' };
  if (r.foregroundInFlight >= r.foregroundMax)
    return { path: 'background', priority: 'high', reason: 'overflow' };
  return { path: 'foreground' };
};

/** `later <question>` → the question; anything else → undefined. `later` alone is not a request. */
export const parseLater = (text: string): string | undefined => {
  const m = /^later\b[\s:,.-]*([\s\S]+)$/i.exec(text.trim());
  return m?.[1]?.trim() || undefined;
};
