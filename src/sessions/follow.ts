import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

/**
 * Which threads the bot follows without a mention: those it started answering from a top-level
 * mention or `/ask`. Checked on the ack path for every thread reply, so it is one EXISTS.
 */
export const createFollowedThreads = (deps: {
  redis: Redis;
  keys: Pick<Keys, 'session'>;
  ttlSeconds: number;
}) => ({
  async isFollowed(teamId: string, channelId: string, threadTs: string): Promise<boolean> {
    return (await deps.redis.hexists(deps.keys.session(teamId, channelId, threadTs), 'follow')) === 1;
  },
  async follow(teamId: string, channelId: string, threadTs: string): Promise<void> {
    const key = deps.keys.session(teamId, channelId, threadTs);
    await deps.redis.multi().hset(key, 'follow', '1').expire(key, deps.ttlSeconds).exec();
  },
});

export type FollowedThreads = ReturnType<typeof createFollowedThreads>;
