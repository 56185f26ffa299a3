import type { Redis } from 'ioredis';
import { type Keys, teamKeyPatterns } from './keys.js';

/** Keys unlinked per command: small enough not to hold Redis up, big enough to finish in minutes. */
const BATCH = 500;

export interface TeamPurgeDeps {
  redis: Pick<Redis, 'scanStream' | 'unlink'>;
  keys: Pick<Keys, 'prefix'>;
}

/**
 * Deletes every key that holds a team's data (sessions, history, locks, request records and
 * results, user state, limits, caches): SCAN with MATCH per pattern of keys.ts, UNLINK in batches
 * (Redis frees the memory in the background). Another team's keys never match: every pattern has
 * the team id between separators. Returns how many keys went. Safe to run twice.
 */
export const purgeTeamKeys = async (deps: TeamPurgeDeps, teamId: string): Promise<number> => {
  let removed = 0;
  for (const match of teamKeyPatterns(deps.keys.prefix, teamId)) {
    const stream = deps.redis.scanStream({ match, count: 1000 });
    let batch: string[] = [];
    for await (const found of stream as AsyncIterable<string[]>) {
      batch.push(...found);
      while (batch.length >= BATCH) {
        removed += await deps.redis.unlink(...batch.splice(0, BATCH));
      }
    }
    if (batch.length > 0) removed += await deps.redis.unlink(...batch);
    batch = [];
  }
  return removed;
};
