import type { ChainableCommander, Redis } from 'ioredis';
import type { Keys } from '../sessions/keys.js';

/**
 * Claims make each Slack delivery count once. A claim is first `pending` with a short expiry, and
 * becomes `done` only after the request is durably written. So a redelivery after a failed first
 * attempt finds no claim (released or expired) and is taken, while one arriving during the first
 * attempt finds `pending` and is not.
 */
export type ClaimState = 'new' | 'pending' | 'done';

const CLAIM_SCRIPT = `
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  if v then return v end
end
for i, k in ipairs(KEYS) do
  redis.call('SET', k, 'pending', 'PX', ARGV[1])
end
return 'new'
`;

const RELEASE_SCRIPT = `
for i, k in ipairs(KEYS) do
  if redis.call('GET', k) == 'pending' then redis.call('DEL', k) end
end
return 1
`;

export interface ClaimsDeps {
  redis: Redis;
  keys: Pick<Keys, 'claim'>;
  /** How long a pending claim blocks duplicates if the process dies before finishing (ms). */
  pendingMs?: number;
  /**
   * How long a final claim is kept. Slack redelivers for about 6 minutes; mention twins arrive
   * within seconds. A day is generous and cheap (one short key per message).
   */
  doneSeconds?: number;
}

type ScriptRunner = (...args: (string | number)[]) => Promise<unknown>;

export const createClaims = ({ redis, keys, pendingMs = 10_000, doneSeconds = 86_400 }: ClaimsDeps) => {
  const k = (ids: string[]) => ids.map((id) => keys.claim(id));
  // On the ack path: sent by hash (EVALSHA) after the first call, not as the whole script each time.
  if (!('backchannelClaim' in redis)) {
    redis.defineCommand('backchannelClaim', { lua: CLAIM_SCRIPT });
    redis.defineCommand('backchannelRelease', { lua: RELEASE_SCRIPT });
  }
  const run = (name: 'backchannelClaim' | 'backchannelRelease') =>
    (redis as unknown as Record<typeof name, ScriptRunner>)[name].bind(redis);
  return {
    async claim(ids: string[]): Promise<ClaimState> {
      return (await run('backchannelClaim')(ids.length, ...k(ids), String(pendingMs))) as ClaimState;
    },
    /** Makes the claims final; `also` adds commands to the same round trip. */
    async confirm(ids: string[], also?: (multi: ChainableCommander) => void): Promise<void> {
      const multi = redis.multi();
      for (const key of k(ids)) multi.set(key, 'done', 'EX', doneSeconds);
      also?.(multi);
      await multi.exec();
    },
    async release(ids: string[]): Promise<void> {
      await run('backchannelRelease')(ids.length, ...k(ids));
    },
  };
};

export type Claims = ReturnType<typeof createClaims>;
