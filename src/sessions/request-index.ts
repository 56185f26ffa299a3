import type { ChainableCommander } from 'ioredis';
import type { RequestRecord } from '../core/request-types.js';

/**
 * Entries a user's request index keeps, newest activity first. Home and `/ask sessions` read this
 * many records (`listForUser`'s default) and page through them, and `/ask cancel` finds active
 * requests in their own index, so nothing the user can reach is trimmed away.
 */
export const USER_INDEX_MAX = 1_000;

/**
 * Most entries one write trims. Steady state trims one per write; a larger backlog (an index
 * written before the cap existed) shrinks over a few writes instead of blocking Redis in one script.
 */
const TRIM_MAX_PER_WRITE = 500;

/** Whether a record can still be cancelled: a background request that is queued or running. */
export const isActive = (r: Pick<RequestRecord, 'path' | 'state'>): boolean =>
  r.path === 'background' && (r.state === 'queued' || r.state === 'running');

/** Whether a request is being worked on: answered in the foreground, or queued or running. */
export const isInFlight = (r: Pick<RequestRecord, 'state'>): boolean =>
  r.state === 'answering' || r.state === 'queued' || r.state === 'running';

/**
 * Keeps the thread's set of requests in flight in step with a state change on the same MULTI (the
 * way `queueActive` keeps the user's active index): what a stop in that thread finds.
 */
export const queueThreadWork = (
  multi: ChainableCommander,
  key: string,
  opts: { id: string; retentionSeconds: number; record: Pick<RequestRecord, 'state'> },
): ChainableCommander =>
  isInFlight(opts.record)
    ? multi.sadd(key, opts.id).expire(key, opts.retentionSeconds)
    : multi.srem(key, opts.id);

/**
 * Trims a user's indexes after a write: entries older than the retention point at records that
 * have expired, and past {@link USER_INDEX_MAX} only the newest stay. What leaves the request index
 * leaves the unread set too (the unread set is always a subset of it); the active index loses only
 * what is older than the retention.
 * KEYS: request index (zset), unread (set), active (zset). ARGV: cutoff ms, max entries, max trimmed.
 */
const TRIM = `
local limit = tonumber(ARGV[3])
local function drop(ids)
  for i = 1, #ids, 200 do
    local chunk = { unpack(ids, i, math.min(i + 199, #ids)) }
    redis.call('ZREM', KEYS[1], unpack(chunk))
    redis.call('SREM', KEYS[2], unpack(chunk))
  end
end
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, limit)
drop(old)
local over = math.min(redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2]), limit - #old)
if over > 0 then drop(redis.call('ZRANGE', KEYS[1], 0, over - 1)) else over = 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[1])
return #old + over
`;

export interface IndexKeys {
  index: string;
  unread: string;
  active: string;
}

/** Queues the trim on a MULTI, after the write that added to the index. */
export const queueTrim = (
  multi: ChainableCommander,
  keys: IndexKeys,
  opts: { now: number; retentionSeconds: number },
): ChainableCommander =>
  multi.eval(
    TRIM,
    3,
    keys.index,
    keys.unread,
    keys.active,
    String(opts.now - opts.retentionSeconds * 1000),
    String(USER_INDEX_MAX),
    String(TRIM_MAX_PER_WRITE),
  );

/**
 * Keeps the active index in step with a state change on the same MULTI. Only a write that sets the
 * state moves membership, so a concurrent patch of other fields cannot undo it from a stale read.
 */
export const queueActive = (
  multi: ChainableCommander,
  keys: IndexKeys,
  opts: { id: string; now: number; retentionSeconds: number; record: Pick<RequestRecord, 'path' | 'state'> },
): ChainableCommander =>
  isActive(opts.record)
    ? multi.zadd(keys.active, opts.now, opts.id).expire(keys.active, opts.retentionSeconds)
    : multi.zrem(keys.active, opts.id);
