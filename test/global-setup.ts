import './support/provided.js';
import type { TestProject } from 'vitest/node';
import { startRedis } from '../standins/redis-server.js';

/** One throwaway Redis for the whole run; tests isolate themselves with unique key prefixes. */
export default async function setup(project: TestProject) {
  const redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
  };
}
