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
 * An enqueuer whose job write fails after the note went up, as when Redis drops between the
 * record and the job; `failing` names the take-back steps that fail too. A retried job (`retry`)
 * is of a request that failed before: it wears ❌, which the enqueuer takes off and puts back.
 */
const setup = (failing: { rebadge?: boolean; rollback?: boolean }) => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const writes: string[] = [];
  const refused = () => Promise.reject(new Error('Connection is closed.'));
  const deps: EnqueueDeps = {
    queue: { add: refused, getCountsPerPriority: async () => ({}) } as never as EnqueueDeps['queue'],
    poster: {
      badge: async (_channel, _ts, to) => {
        writes.push(`badge ${to}`);
        if (failing.rebadge) await refused();
      },
      unbadge: async (_channel, _ts, badge) => {
        writes.push(`unbadge ${badge}`);
      },
      note: async (_target, text) => {
        writes.push(`note ${text}`);
        return { ts: ['2.2'] };
      },
      remove: async (_channel, ts) => {
        writes.push(`remove ${ts}`);
      },
      postEphemeral: async (_channel, _user, text) => {
        writes.push(`ephemeral ${text}`);
      },
    },
    requests: {
      get: async () => ({ state: 'failed', path: 'background' }),
      create: async () => {},
      // The first update records it queued; only the rollback's fails.
      update: async (_id: string, patch: object) =>
        failing.rollback && !('path' in patch) ? refused() : undefined,
      saveJob: async () => {},
    } as never as EnqueueDeps['requests'],
    fairness: { addQueued: async () => true, removeQueued: async () => {} },
    config,
    logger,
  };
  const bestEffortFailures = () =>
    lines.filter((l) => l.msg === 'best-effort step failed; carrying on').map((l) => l.what);
  return { enqueuer: createEnqueuer(deps), lines, writes, bestEffortFailures };
};

const retried: AnswerJob = { ...job, reason: 'retry', retry: 1 };

describe('taking a "queued" back when the job could not be written', () => {
  it('logs each take-back step that fails, carries on with the rest, and reports Redis unavailable', async () => {
    const { enqueuer, writes, bestEffortFailures, lines } = setup({ rebadge: true, rollback: true });

    await expect(enqueuer.enqueue(retried)).rejects.toMatchObject({ code: 'redis_unavailable' });
    // The ❌ it wore came off for the ⏳ note; both are taken back. No session status either way.
    expect(writes).toEqual([
      'unbadge failed',
      "note :hourglass_flowing_sand: Trying again: queued, you're next. I'll reply here when it's done.",
      'remove 2.2',
      'badge failed',
    ]);
    expect(bestEffortFailures()).toEqual(['old badge', 'record rollback']);
    const failure = lines.find((l) => l.what === 'record rollback');
    expect(failure).toMatchObject({ requestId: job.request.id, err: { message: 'Connection is closed.' } });
  });

  it('logs nothing of the kind when every take-back step works, and touches no badge a first run never had', async () => {
    const { enqueuer, writes, bestEffortFailures } = setup({});

    await expect(enqueuer.enqueue(job)).rejects.toMatchObject({ code: 'redis_unavailable' });

    expect(bestEffortFailures()).toEqual([]);
    expect(writes).toEqual([
      "note :hourglass_flowing_sand: Queued, you're next. I'll reply here when it's done.",
      'remove 2.2',
    ]);
  });
});
