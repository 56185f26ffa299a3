import type { Redis } from 'ioredis';
import { COMMENT_MAX_CHARS, type FeedbackSummary, type Vote } from '../core/request-types.js';
import type { Keys } from './keys.js';
import type { RequestChanges } from './request-changes.js';
import { FEEDBACK_COUNT_FIELDS } from './request-record.js';

/**
 * Records a user's rating. KEYS: the request record, its feedback hash. ARGV: user, vote, the count
 * fields of the vote and of the other vote, retention ms. The rating lives only as long as its
 * record: the hash gets the record's remaining time. A repeated rating changes nothing; a changed
 * one moves the record's counts from the old vote to the new. Returns the previous vote ('' for
 * none) and where the request is, or -1 when the record is gone.
 */
const VOTE = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return -1 end
if ttl == -1 then ttl = tonumber(ARGV[5]) end
local field = 'vote:' .. ARGV[1]
local prev = redis.call('HGET', KEYS[2], field)
if prev ~= ARGV[2] then
  redis.call('HSET', KEYS[2], field, ARGV[2])
  redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
  if prev then redis.call('HINCRBY', KEYS[1], ARGV[4], -1) end
end
redis.call('PEXPIRE', KEYS[2], ttl)
local r = redis.call('HMGET', KEYS[1], 'teamId', 'userId', 'channelId', 'threadTs')
return { prev or '', r[1] or '', r[2] or '', r[3] or '', r[4] or '' }
`;

/**
 * Stores a comment with the user's rating. KEYS: the record, its feedback hash. ARGV: user, text,
 * retention ms. 1 stored, 0 the user has not rated this answer, -1 the record is gone.
 */
const COMMENT = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return -1 end
if ttl == -1 then ttl = tonumber(ARGV[3]) end
if redis.call('HEXISTS', KEYS[2], 'vote:' .. ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'comment:' .. ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`;

export const isVote = (v: unknown): v is Vote => v === 'positive' || v === 'negative';

/** At most COMMENT_MAX_CHARS characters (code points: an emoji is never cut in half). */
export const capComment = (text: string): string => {
  const trimmed = text.trim();
  if (trimmed.length <= COMMENT_MAX_CHARS) return trimmed;
  return Array.from(trimmed).slice(0, COMMENT_MAX_CHARS).join('');
};

export type VoteOutcome =
  | { ok: false; why: 'missing' }
  | {
      ok: true;
      /** The user's earlier rating, replaced by this one (or the same). */
      previous: Vote | undefined;
      request: { teamId: string; userId: string; channelId: string; threadTs: string };
    };

export interface FeedbackStoreDeps {
  redis: Redis;
  keys: Pick<Keys, 'request' | 'requestFeedback' | 'answerMessage'>;
  /** Records expire this long after their last change; so do the message → request links. */
  retentionSeconds: number;
  /** Told when a request's counts changed, so its owner's Home can be re-published. */
  changes?: Pick<RequestChanges, 'notify'>;
}

/**
 * 👍/👎 on answers. Which request an answer message belongs to is recorded when the message is
 * posted (`rememberAnswer`); a click is looked up by its message, so a button's value is never
 * authority. One rating per user per request, in a hash that expires with the request's record;
 * the record itself carries the counts (Home lists need no extra read).
 */
export const createFeedbackStore = (deps: FeedbackStoreDeps) => {
  const retentionMs = String(deps.retentionSeconds * 1000);
  const other = (v: Vote): Vote => (v === 'positive' ? 'negative' : 'positive');

  return {
    /** The answer whose last message is `ts` in `channelId` belongs to `requestId`. */
    async rememberAnswer(channelId: string, ts: string, requestId: string): Promise<void> {
      await deps.redis.set(deps.keys.answerMessage(channelId, ts), requestId, 'EX', deps.retentionSeconds);
    },

    /** The request whose answer is the message `ts`, or undefined for any other message. */
    async answerAt(channelId: string, ts: string): Promise<string | undefined> {
      return (await deps.redis.get(deps.keys.answerMessage(channelId, ts))) ?? undefined;
    },

    /** Stores `userId`'s rating of the request's answer, replacing their earlier one. */
    async vote(requestId: string, userId: string, vote: Vote): Promise<VoteOutcome> {
      const res = await deps.redis.eval(
        VOTE,
        2,
        deps.keys.request(requestId),
        deps.keys.requestFeedback(requestId),
        userId,
        vote,
        FEEDBACK_COUNT_FIELDS[vote],
        FEEDBACK_COUNT_FIELDS[other(vote)],
        retentionMs,
      );
      if (!Array.isArray(res)) return { ok: false, why: 'missing' };
      const [prev, teamId, owner, channelId, threadTs] = res.map(String);
      const previous = isVote(prev) ? prev : undefined;
      if (previous !== vote && teamId && owner) deps.changes?.notify(teamId, owner);
      return {
        ok: true,
        previous,
        request: {
          teamId: teamId ?? '',
          userId: owner ?? '',
          channelId: channelId ?? '',
          threadTs: threadTs ?? '',
        },
      };
    },

    /** The user's rating of the request's answer, and their comment, if they rated it. */
    async ratingOf(requestId: string, userId: string): Promise<{ vote: Vote; comment?: string } | undefined> {
      const [vote, comment] = await deps.redis.hmget(
        deps.keys.requestFeedback(requestId),
        `vote:${userId}`,
        `comment:${userId}`,
      );
      if (!isVote(vote)) return undefined;
      return { vote, ...(comment ? { comment } : {}) };
    },

    /**
     * Stores `text` (capped at COMMENT_MAX_CHARS) with `userId`'s rating. Only someone who rated the
     * answer can comment on it: `not_rated` otherwise, and nothing is written.
     */
    async comment(
      requestId: string,
      userId: string,
      text: string,
    ): Promise<'stored' | 'not_rated' | 'missing'> {
      const res = Number(
        await deps.redis.eval(
          COMMENT,
          2,
          deps.keys.request(requestId),
          deps.keys.requestFeedback(requestId),
          userId,
          capComment(text),
          retentionMs,
        ),
      );
      return res === 1 ? 'stored' : res === 0 ? 'not_rated' : 'missing';
    },

    /** Every rating of the request's answer: counts, and the comments with their ratings. */
    async summary(requestId: string): Promise<FeedbackSummary> {
      const h = await deps.redis.hgetall(deps.keys.requestFeedback(requestId));
      const summary: FeedbackSummary = { positive: 0, negative: 0, comments: [] };
      for (const [field, value] of Object.entries(h)) {
        if (!field.startsWith('vote:') || !isVote(value)) continue;
        summary[value] += 1;
        const userId = field.slice('vote:'.length);
        const comment = h[`comment:${userId}`];
        if (comment) summary.comments.push({ userId, vote: value, comment });
      }
      return summary;
    },
  };
};

export type FeedbackStore = ReturnType<typeof createFeedbackStore>;
