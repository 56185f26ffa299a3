import type { Redis } from 'ioredis';
import type { RequestRecord, RequestResult } from '../core/request-types.js';
import type { Keys } from './keys.js';
import type { RequestChanges } from './request-changes.js';
import {
  type IndexKeys,
  isActive,
  isInFlight,
  queueActive,
  queueThreadWork,
  queueTrim,
  USER_INDEX_MAX,
} from './request-index.js';
import { fromHash, type NewRequestRecord, toHash } from './request-record.js';

export type { RequestRecord, RequestResult, RequestState } from '../core/request-types.js';

const TITLE_MAX = 120;

/** Reads the record and clears its unread mark in one step, only for its owner. */
const TAKE_UNREAD = `
local owner = redis.call('HGET', KEYS[1], 'userId')
if not owner then return -1 end
if owner ~= ARGV[1] then return -2 end
local was = redis.call('HGET', KEYS[1], 'unread')
redis.call('HSET', KEYS[1], 'unread', '0')
if was == '1' then return 1 end
return 0
`;

export interface RequestStoreDeps {
  redis: Redis;
  keys: Pick<
    Keys,
    | 'request'
    | 'requestResult'
    | 'requestRoot'
    | 'requestJob'
    | 'userRequests'
    | 'userUnread'
    | 'userActive'
    | 'threadWork'
  >;
  /** Records and results expire this long after their last change. */
  retentionSeconds: number;
  /** Told after every change, so the user's Home can be re-published. */
  changes?: Pick<RequestChanges, 'notify'>;
  now?: () => number;
}

/**
 * Each request belongs to the user who made it: its record (small hash), its result (stored apart,
 * expiring with it) and its unread mark. A per-user sorted set indexes them by last activity, capped
 * at {@link USER_INDEX_MAX} and trimmed to the retention on every write; a second one holds the
 * queued and running background requests, so `/ask cancel` finds them behind any number of others.
 */
export const createRequestStore = (deps: RequestStoreDeps) => {
  const now = deps.now ?? Date.now;
  const changed = (teamId: string, userId: string) => deps.changes?.notify(teamId, userId);
  const indexKeys = (teamId: string, userId: string): IndexKeys => ({
    index: deps.keys.userRequests(teamId, userId),
    unread: deps.keys.userUnread(teamId, userId),
    active: deps.keys.userActive(teamId, userId),
  });
  const retention = { retentionSeconds: deps.retentionSeconds };
  const workKey = (r: Pick<RequestRecord, 'teamId' | 'channelId' | 'threadTs'>) =>
    deps.keys.threadWork(r.teamId, r.channelId, r.threadTs);

  /** The records of `ids`, in order: undefined where there is none, null where the read failed. */
  const readAll = async (ids: string[]): Promise<(RequestRecord | undefined | null)[]> => {
    if (!ids.length) return [];
    const pipeline = deps.redis.pipeline();
    for (const id of ids) pipeline.hgetall(deps.keys.request(id));
    const rows = (await pipeline.exec()) ?? [];
    return rows.map(([err, h]) => (err ? null : fromHash(h as Record<string, string>)));
  };

  /** The owner's records among `ids`; ids whose record is gone leave `dropFrom` (index cleanup). */
  const readOwned = async (
    teamId: string,
    userId: string,
    ids: string[],
    dropFrom: (keyof IndexKeys)[],
  ): Promise<RequestRecord[]> => {
    const records: RequestRecord[] = [];
    const gone: string[] = [];
    (await readAll(ids)).forEach((r, i) => {
      // Only the owner's own records, whatever the index says.
      if (r && r.userId === userId && r.teamId === teamId) records.push(r);
      else if (r !== null) gone.push(ids[i] ?? '');
    });
    if (gone.length) {
      const keys = indexKeys(teamId, userId);
      const multi = deps.redis.multi();
      for (const which of dropFrom)
        if (which === 'unread') multi.srem(keys.unread, ...gone);
        else multi.zrem(keys[which], ...gone);
      await multi.exec();
    }
    return records;
  };

  const get = async (id: string): Promise<RequestRecord | undefined> =>
    fromHash(await deps.redis.hgetall(deps.keys.request(id)));

  /**
   * The owner takes the notification: the record comes back and its unread mark is cleared, in one
   * atomic step. Anyone else gets `forbidden` and changes nothing.
   */
  const takeUnread = async (
    id: string,
    userId: string,
  ): Promise<
    { ok: true; record: RequestRecord; wasUnread: boolean } | { ok: false; why: 'missing' | 'forbidden' }
  > => {
    const res = Number(await deps.redis.eval(TAKE_UNREAD, 1, deps.keys.request(id), userId));
    if (res === -1) return { ok: false, why: 'missing' };
    if (res === -2) return { ok: false, why: 'forbidden' };
    const record = await get(id);
    if (!record) return { ok: false, why: 'missing' };
    if (res === 1) {
      await deps.redis.srem(deps.keys.userUnread(record.teamId, record.userId), id);
      changed(record.teamId, record.userId);
    }
    return { ok: true, record, wasUnread: res === 1 };
  };
  /** A user's requests, newest activity first (at most {@link USER_INDEX_MAX}, all the index keeps). */
  const listForUser = async (
    teamId: string,
    userId: string,
    opts: { limit?: number } = {},
  ): Promise<RequestRecord[]> => {
    const limit = Math.min(opts.limit ?? USER_INDEX_MAX, USER_INDEX_MAX);
    const ids = await deps.redis.zrevrange(deps.keys.userRequests(teamId, userId), 0, limit - 1);
    return readOwned(teamId, userId, ids, ['index', 'unread']);
  };

  /** A user's queued and running background requests, newest first, however many others are newer. */
  const activeForUser = async (teamId: string, userId: string): Promise<RequestRecord[]> => {
    const active = deps.keys.userActive(teamId, userId);
    const ids = await deps.redis.zrevrange(active, 0, USER_INDEX_MAX - 1);
    const records = await readOwned(teamId, userId, ids, ['active']);
    // A finished request whose exit raced a stale write is dropped here, and never offered.
    const stale = records.filter((r) => !isActive(r)).map((r) => r.id);
    if (stale.length) await deps.redis.zrem(active, ...stale);
    return records.filter(isActive);
  };

  return {
    get,
    /** A new request; nothing about it is unread yet. */
    async create(r: NewRequestRecord): Promise<RequestRecord> {
      const t = now();
      const record: RequestRecord = {
        ...r,
        title: r.title.slice(0, TITLE_MAX),
        unread: false,
        createdAt: t,
        updatedAt: t,
      };
      const key = deps.keys.request(r.id);
      const keys = indexKeys(r.teamId, r.userId);
      const multi = deps.redis
        .multi()
        .hset(key, toHash(record))
        .expire(key, deps.retentionSeconds)
        .zadd(keys.index, t, r.id)
        .expire(keys.index, deps.retentionSeconds);
      queueActive(multi, keys, { id: r.id, now: t, record, ...retention });
      queueThreadWork(multi, workKey(record), { id: r.id, record, ...retention });
      await queueTrim(multi, keys, { now: t, ...retention }).exec();
      changed(r.teamId, r.userId);
      return record;
    },
    /** Applies a change to an existing record; returns it, or undefined if it expired or never existed. */
    async update(
      id: string,
      patch: Partial<Omit<RequestRecord, 'id' | 'teamId' | 'userId' | 'createdAt' | 'feedback'>>,
    ): Promise<RequestRecord | undefined> {
      const key = deps.keys.request(id);
      const current = await get(id);
      if (!current) return undefined;
      const t = now();
      const next: RequestRecord = { ...current, ...patch, updatedAt: t };
      const multi = deps.redis.multi().hset(key, toHash({ ...patch, updatedAt: t }));
      if ('position' in patch && patch.position === undefined) multi.hdel(key, 'position');
      if ('error' in patch && patch.error === undefined) multi.hdel(key, 'error');
      const keys = indexKeys(current.teamId, current.userId);
      if (patch.unread !== undefined) {
        if (patch.unread) multi.sadd(keys.unread, id).expire(keys.unread, deps.retentionSeconds);
        else multi.srem(keys.unread, id);
      }
      multi
        .expire(key, deps.retentionSeconds)
        .zadd(keys.index, t, id)
        .expire(keys.index, deps.retentionSeconds);
      if (patch.state !== undefined) {
        queueActive(multi, keys, { id, now: t, record: next, ...retention });
        queueThreadWork(multi, workKey(current), { id, record: next, ...retention });
      }
      await queueTrim(multi, keys, { now: t, ...retention }).exec();
      changed(current.teamId, current.userId);
      return next;
    },
    async setResult(id: string, result: RequestResult): Promise<void> {
      await deps.redis
        .multi()
        .set(deps.keys.requestResult(id), JSON.stringify(result), 'EX', deps.retentionSeconds)
        .exec();
    },
    /** The thread root the bot posted for an `/ask` request, so a re-run never posts a second one. */
    async rememberRoot(id: string, ts: string): Promise<void> {
      await deps.redis.set(deps.keys.requestRoot(id), ts, 'EX', deps.retentionSeconds);
    },
    async rootOf(id: string): Promise<string | undefined> {
      return (await deps.redis.get(deps.keys.requestRoot(id))) ?? undefined;
    },
    /**
     * What it takes to run the request again (Retry), kept as long as the record. Opaque here: the
     * queue owns the job's shape and parses what `getJob` returns with its schema.
     */
    async saveJob(id: string, job: unknown): Promise<void> {
      await deps.redis.set(deps.keys.requestJob(id), JSON.stringify(job), 'EX', deps.retentionSeconds);
    },
    async getJob(id: string): Promise<unknown> {
      const raw = await deps.redis.get(deps.keys.requestJob(id));
      return raw ? (JSON.parse(raw) as unknown) : undefined;
    },
    async getResult(id: string): Promise<RequestResult | undefined> {
      const raw = await deps.redis.get(deps.keys.requestResult(id));
      return raw ? (JSON.parse(raw) as RequestResult) : undefined;
    },
    takeUnread,
    listForUser,
    activeForUser,
    /**
     * The requests in flight in a thread (answering, queued or running), whoever asked them: what
     * Slack's stop button in that thread is about.
     */
    async inThread(thread: {
      teamId: string;
      channelId: string;
      threadTs: string;
    }): Promise<RequestRecord[]> {
      const key = workKey(thread);
      const ids = await deps.redis.smembers(key);
      const records = await readAll(ids);
      // The set is only what the records said: a record gone, of another thread, or finished by a
      // write that raced, is not work here.
      const here = (r: RequestRecord | undefined | null): r is RequestRecord =>
        !!r && isInFlight(r) && workKey(r) === key;
      const stale = ids.filter((_, i) => records[i] !== null && !here(records[i]));
      if (stale.length) await deps.redis.srem(key, ...stale);
      return records.filter(here);
    },
    /** Clears the unread marks of a user's requests in one thread (the user replied there). */
    async markThreadRead(
      teamId: string,
      userId: string,
      channelId: string,
      threadTs: string,
    ): Promise<number> {
      // Only the user's unread requests are looked at (usually none), not their whole history.
      const unread = deps.keys.userUnread(teamId, userId);
      const ids = await deps.redis.smembers(unread);
      let cleared = 0;
      for (const id of ids) {
        const [channel, thread] = await deps.redis.hmget(deps.keys.request(id), 'channelId', 'threadTs');
        if (channel === null) await deps.redis.srem(unread, id);
        if (channel !== channelId || thread !== threadTs) continue;
        const taken = await takeUnread(id, userId);
        if (taken.ok && taken.wasUnread) cleared++;
      }
      return cleared;
    },
  };
};

export type RequestStore = ReturnType<typeof createRequestStore>;
