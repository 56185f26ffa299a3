import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createEnqueuer, type EnqueueDeps } from '../../src/queue/enqueue.js';
import type { AnswerJob } from '../../src/queue/registry.js';

const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', NODE_ENV: 'test' });

const job: AnswerJob = {
  request: {
    id: 'T:C:1.1',
    source: 'mention',
    teamId: 'T',
    channelId: 'C',
    userId: 'U',
    text: 'q',
    ts: '1.1',
    isDm: false,
    receivedAt: 0,
  },
  threadTs: '1.1',
  badgeTs: '1.1',
  priority: 'low',
  reason: 'later',
  question: 'q',
  questionTs: '1.1',
  freshHistory: false,
  enqueuedAt: 0,
  retry: 0,
};

/**
 * An enqueuer whose job write fails after the badge and note went up, as when Redis drops between
 * the record and the job; `failing` names the take-back steps that fail too.
 */
const setup = (failing: { unbadge?: boolean; rollback?: boolean }) => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const removed: string[] = [];
  const sessionStatuses: string[] = [];
  const refused = () => Promise.reject(new Error('Connection is closed.'));
  const deps: EnqueueDeps = {
    queue: { add: refused, getCountsPerPriority: async () => ({}) } as never as EnqueueDeps['queue'],
    poster: {
      badge: async () => {},
      unbadge: async () => (failing.unbadge ? refused() : undefined),
      note: async () => ({ ts: ['2.2'] }),
      remove: async (_channel, ts) => {
        removed.push(ts);
      },
      sessions: {
        suspended: async () => {
          sessionStatuses.push('suspended');
          return true;
        },
        setSessionStatus: async (_thread: unknown, status: string) => {
          sessionStatuses.push(status);
          return true;
        },
      } as never as EnqueueDeps['poster']['sessions'],
    },
    requests: {
      get: async () => undefined,
      create: async () => {},
      update: async () => (failing.rollback ? refused() : undefined),
      saveJob: async () => {},
    } as never as EnqueueDeps['requests'],
    fairness: { addQueued: async () => true, removeQueued: async () => {} },
    config,
    logger,
  };
  const bestEffortFailures = () =>
    lines.filter((l) => l.msg === 'best-effort step failed; carrying on').map((l) => l.what);
  return { enqueuer: createEnqueuer(deps), lines, removed, sessionStatuses, bestEffortFailures };
};

describe('taking a "queued" back when the job could not be written', () => {
  it('logs each take-back step that fails, carries on with the rest, and reports Redis unavailable', async () => {
    const { enqueuer, removed, bestEffortFailures, lines, sessionStatuses } = setup({
      unbadge: true,
      rollback: true,
    });

    await expect(enqueuer.enqueue(job)).rejects.toMatchObject({ code: 'redis_unavailable' });
    // The session said "waiting in the queue" before the job write, and is taken back with the rest.
    expect(sessionStatuses).toEqual(['suspended', 'active']);

    expect(bestEffortFailures()).toEqual(['queued badge removal', 'record rollback']);
    // The note still comes down after the badge would not.
    expect(removed).toEqual(['2.2']);
    const failure = lines.find((l) => l.what === 'record rollback');
    expect(failure).toMatchObject({ requestId: job.request.id, err: { message: 'Connection is closed.' } });
  });

  it('logs nothing of the kind when every take-back step works', async () => {
    const { enqueuer, removed, bestEffortFailures } = setup({});

    await expect(enqueuer.enqueue(job)).rejects.toMatchObject({ code: 'redis_unavailable' });

    expect(bestEffortFailures()).toEqual([]);
    expect(removed).toEqual(['2.2']);
  });
});
