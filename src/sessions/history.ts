import type { Redis } from 'ioredis';
import type { Turn } from '../domain.js';
import type { Keys } from './keys.js';

export interface HistoryDeps {
  redis: Redis;
  keys: Pick<Keys, 'history'>;
  ttlSeconds: number;
  reader: { read(channelId: string, threadTs: string): Promise<Turn[]> };
}

export interface ThreadRef {
  teamId: string;
  channelId: string;
  threadTs: string;
}

const byTs = (a: Turn, b: Turn) => Number(a.ts) - Number(b.ts);

/**
 * A session thread's history, cached in Redis (a list of JSON turns with an expiry), filled from
 * Slack on first contact or when stale, and extended with the turns the bot sees so a follow-up
 * usually needs no history call.
 *
 * "Stale" is the caller's call: in threads the bot follows (it sees every message) the cache is
 * complete; in a thread where it was only mentioned, people may have written in between, so the
 * caller asks for a fresh read at each mention.
 */
export const createHistoryStore = (deps: HistoryDeps) => {
  const key = (t: ThreadRef) => deps.keys.history(t.teamId, t.channelId, t.threadTs);

  const write = async (t: ThreadRef, turns: Turn[]) => {
    const multi = deps.redis.multi().del(key(t));
    if (turns.length) multi.rpush(key(t), ...turns.map((turn) => JSON.stringify(turn)));
    await multi.expire(key(t), deps.ttlSeconds).exec();
  };

  return {
    /** The thread's turns in order, with `extra` (turns the bot has just seen) merged in by ts. */
    async load(
      t: ThreadRef,
      opts: {
        fresh?: boolean;
        /** The thread was just started by this very message: there is nothing to read yet. */
        isNew?: boolean;
        extra?: Turn[];
      } = {},
    ): Promise<{ turns: Turn[]; fetched: boolean }> {
      let turns: Turn[] | undefined;
      let fetched = false;
      if (!opts.fresh) {
        const cached = await deps.redis.lrange(key(t), 0, -1);
        if (cached.length) turns = cached.map((s) => JSON.parse(s) as Turn);
      }
      if (!turns && opts.isNew) turns = [];
      if (!turns) {
        turns = await deps.reader.read(t.channelId, t.threadTs);
        fetched = true;
      }
      // The bot's own view of a turn (e.g. the question without `later`) wins over Slack's copy.
      const current = turns;
      const extra = (opts.extra ?? []).filter(
        (e) => !current.some((turn) => turn.ts === e.ts && turn.text === e.text),
      );
      const last = current.at(-1);
      if (!fetched && extra.every((e) => !last || Number(e.ts) > Number(last.ts))) {
        // The usual case, a new question after everything cached: append it, in one round trip.
        turns = [...current, ...extra.sort(byTs)];
        const multi = deps.redis.multi();
        if (extra.length) multi.rpush(key(t), ...extra.map((turn) => JSON.stringify(turn)));
        await multi.expire(key(t), deps.ttlSeconds).exec();
      } else {
        const replaced = new Set(extra.map((e) => e.ts));
        turns = [...current.filter((turn) => !replaced.has(turn.ts)), ...extra].sort(byTs);
        await write(t, turns);
      }
      return { turns, fetched };
    },
    /** Extends a cached history (no-op when there is none: the next load reads the thread). */
    async append(t: ThreadRef, turn: Turn): Promise<void> {
      await deps.redis.rpushx(key(t), JSON.stringify(turn));
    },
  };
};

export type HistoryStore = ReturnType<typeof createHistoryStore>;
