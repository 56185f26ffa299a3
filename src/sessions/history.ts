import type { Redis } from 'ioredis';
import type { Turn } from '../core/domain.js';
import { boundTurn } from '../core/text.js';
import type { Keys } from './keys.js';

export interface HistoryDeps {
  redis: Redis;
  keys: Pick<Keys, 'history'>;
  ttlSeconds: number;
  reader: { read(channelId: string, threadTs: string): Promise<Turn[]> };
  /** Tokens of a turn's prompt message (`turnTokens`): counted once, when the turn enters the cache. */
  count(turn: Turn): Promise<number>;
  /** CONTEXT_TOKEN_BUDGET: what one prompt can hold, so what the cache needs to keep (KEEP_BUDGETS). */
  budgetTokens: number;
}

export interface ThreadRef {
  teamId: string;
  channelId: string;
  threadTs: string;
}

/**
 * The cache keeps the root and the newest turns worth this many prompt budgets: a prompt holds the
 * root and the newest turns within one budget, and the second covers a question older than the
 * newest turns (a re-run, a late arrival).
 */
export const KEEP_BUDGETS = 2;
/** And at most this many turns: many tiny turns add up to a long list before they add up to tokens. */
export const MAX_CACHED_TURNS = 400;
/**
 * Past a cap the cache is cut to this share of it, so a busy long thread is rewritten once every
 * quarter of the cap, not at every message.
 */
const LOW_WATER = 0.75;

const byTs = (a: Turn, b: Turn) => Number(a.ts) - Number(b.ts);

/** The same turn as Slack and the cache saw it, so its cached count still holds. */
const sameTurn = (a: Turn, b: Turn) =>
  a.ts === b.ts && a.text === b.text && a.role === b.role && a.name === b.name && a.userId === b.userId;

/**
 * The root and the newest turns within `keepTokens` and MAX_CACHED_TURNS (the newest always),
 * counting the turns that have no count yet, newest first: turns older than the cut are never
 * counted. `recounted`: a turn was counted here, so what the cache holds lacks its count.
 */
export const keepNewest = async (
  turns: readonly Turn[],
  count: (turn: Turn) => Promise<number>,
  keepTokens: number,
): Promise<{ turns: Turn[]; trimmed: boolean; recounted: boolean }> => {
  let recounted = false;
  const counted = async (turn: Turn): Promise<Turn & { tokens: number }> => {
    if (turn.tokens !== undefined) return { ...turn, tokens: turn.tokens };
    recounted = true;
    return { ...turn, tokens: await count(turn) };
  };
  const [first, ...rest] = turns;
  if (first === undefined) return { turns: [], trimmed: false, recounted };
  const root = await counted(first);
  const newestFirst: Turn[] = [];
  let total = 0;
  let withinLowWater = 0;
  let trimmed = false;
  for (let i = rest.length - 1; i >= 0; i--) {
    const turn = await counted(rest[i]!);
    total += turn.tokens;
    const full = total > keepTokens || newestFirst.length + 2 > MAX_CACHED_TURNS;
    if (full && newestFirst.length > 0) {
      trimmed = true;
      break;
    }
    newestFirst.push(turn);
    if (total <= keepTokens * LOW_WATER && newestFirst.length + 1 <= MAX_CACHED_TURNS * LOW_WATER)
      withinLowWater = newestFirst.length;
  }
  const kept = trimmed ? newestFirst.slice(0, Math.max(1, withinLowWater)) : newestFirst;
  return { turns: [root, ...kept.reverse()], trimmed, recounted };
};

/**
 * A session thread's history, cached in Redis (a list of JSON turns, each with its token count,
 * with an expiry), filled from Slack on first contact or when stale, and extended with the turns
 * the bot sees so a follow-up usually needs no history call. Trimmed to the root and the newest
 * turns (`keepNewest`) at each load; between loads it grows by at most the answer to that load.
 *
 * "Stale" is the caller's call: in threads the bot follows (it sees every message) the cache is
 * complete; in a thread where it was only mentioned, people may have written in between, so the
 * caller asks for a fresh read at each mention. A fresh read reuses the counts of unchanged turns.
 */
export const createHistoryStore = (deps: HistoryDeps) => {
  const key = (t: ThreadRef) => deps.keys.history(t.teamId, t.channelId, t.threadTs);
  const keepTokens = KEEP_BUDGETS * deps.budgetTokens;

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
      const cached = (await deps.redis.lrange(key(t), 0, -1)).map((s) => JSON.parse(s) as Turn);
      let turns: Turn[] | undefined = !opts.fresh && cached.length ? cached : undefined;
      let fetched = false;
      if (!turns && opts.isNew) turns = [];
      if (!turns) {
        const byTsCached = new Map(cached.map((c) => [c.ts, c]));
        turns = (await deps.reader.read(t.channelId, t.threadTs)).map((read) => {
          const turn = boundTurn(read);
          const known = byTsCached.get(turn.ts);
          return known?.tokens !== undefined && sameTurn(known, turn)
            ? { ...turn, tokens: known.tokens }
            : turn;
        });
        fetched = true;
      }
      // The bot's own view of a turn (e.g. the question without `later`) wins over Slack's copy.
      const current = turns;
      const extra = (opts.extra ?? [])
        .map(boundTurn)
        .filter((e) => !current.some((turn) => turn.ts === e.ts && turn.text === e.text));
      const counted = await Promise.all(
        extra.map(async (e) => (e.tokens !== undefined ? e : { ...e, tokens: await deps.count(e) })),
      );
      const last = current.at(-1);
      const inOrder = counted.every((e) => !last || Number(e.ts) > Number(last.ts));
      const replaced = new Set(counted.map((e) => e.ts));
      const merged = inOrder
        ? [...current, ...counted.sort(byTs)]
        : [...current.filter((turn) => !replaced.has(turn.ts)), ...counted].sort(byTs);
      const kept = await keepNewest(merged, deps.count, keepTokens);
      if (!fetched && inOrder && !kept.trimmed && !kept.recounted) {
        // The usual case, a new question after everything cached: append it, in one round trip.
        const multi = deps.redis.multi();
        if (counted.length) multi.rpush(key(t), ...counted.map((turn) => JSON.stringify(turn)));
        await multi.expire(key(t), deps.ttlSeconds).exec();
      } else {
        await write(t, kept.turns);
      }
      return { turns: kept.turns, fetched };
    },
    /** Extends a cached history (no-op when there is none: the next load reads the thread). */
    async append(t: ThreadRef, turn: Turn): Promise<void> {
      const bounded = boundTurn(turn);
      const tokens = bounded.tokens ?? (await deps.count(bounded));
      await deps.redis.rpushx(key(t), JSON.stringify({ ...bounded, tokens }));
    },
  };
};

export type HistoryStore = ReturnType<typeof createHistoryStore>;
