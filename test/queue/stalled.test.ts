import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { createSlackPoster } from '../../src/out/poster.js';
import { createSlackClient } from '../../src/out/web-client.js';
import { singleWorkspace } from '../../src/out/workspaces.js';
import { QUEUES } from '../../src/queue/registry.js';
import { createIntakeStalledOut, INTAKE_STALLED_TEXT } from '../../src/queue/stalled.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createRequestStore } from '../../src/sessions/requests.js';
import { createThreadSession } from '../../src/sessions/thread-status.js';
import { startSlackApi } from '../../standins/slack/index.js';
import { defaultBadges } from '../support/badges.js';
import { captureLogs } from '../support/in-process-bot.js';
import { redisState, until } from '../support/redis-state.js';
import { addInstance, answerIn, notesIn, useStack } from '../support/stack.js';

const start = useStack();

/**
 * Two workers in turn take the queue's next job and die with it (their lock is never renewed), as
 * a process killed mid-job does. The first stall sends the job back to wait; the second, once a
 * stalled check sees it, exceeds `maxStalledCount` (1).
 */
const stallTwice = async (redisUrl: string, queue: string, prefix: string) => {
  for (let i = 0; i < 2; i++) {
    let took: () => void = () => {};
    const taken = new Promise<void>((r) => {
      took = r;
    });
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const dead = new Worker(
      queue,
      async () => {
        took();
        await new Promise(() => {});
      },
      { connection, prefix, lockDuration: 500, stalledInterval: 500, skipLockRenewal: true },
    );
    dead.on('error', () => {});
    await taken;
    await dead.close(true);
    connection.disconnect();
  }
};

describe('a job that stalled twice', () => {
  it('a background answer ends with a note, the ❌ badge, its record failed and its queued-cap entry gone', async () => {
    const s = await start({ role: 'web', env: { JOB_LOCK_MS: '1000' } });
    const state = redisState(s);
    const { ts } = await s.driver.mention({ channel: 'C1', user: 'U1', text: 'later stall me twice' });
    await s.slack.waitFor(() => notesIn(s, 'C1', ts)[0]);
    await stallTwice(s.env.REDIS_URL ?? '', QUEUES.answers.name, s.prefix);
    await addInstance(s, 'worker', { JOB_LOCK_MS: '1000' });
    const note = await s.slack.waitFor(() => notesIn(s, 'C1', ts).find((m) => m.text.includes('❌')), 10_000);
    expect(note.text).toMatch(/ask again/i);
    await s.slack.waitFor(() => s.slack.reactions('C1', ts).join() === 'x');
    const id = state.idOf('C1', ts);
    await until(async () => (await state.record(id))?.state === 'failed');
    expect(await state.queued('U1')).toBe(0);
    expect(answerIn(s, 'C1', ts)).toHaveLength(0);
  }, 30_000);

  it('an intake request is logged by id and its asker told in the thread', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = `st${randomUUID().slice(0, 8)}`;
    const slack = await startSlackApi();
    onTestFinished(() => slack.close());
    const { logger, lines } = captureLogs();
    const redis = new Redis(redisUrl);
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUES.intake.name, { connection: redis, prefix });
    onTestFinished(async () => {
      await queue.close();
      redis.disconnect();
      connection.disconnect();
    });
    const root = slack.addMessage({ channel: 'C2', user: 'U2', text: 'is anyone there?' });
    const request = {
      id: `T0TEAM:C2:${root.ts}`,
      source: 'mention' as const,
      teamId: 'T0TEAM',
      channelId: 'C2',
      userId: 'U2',
      text: 'is anyone there?',
      ts: root.ts,
      isDm: false,
      receivedAt: Date.now(),
    };
    await queue.add(QUEUES.intake.job, request);
    await stallTwice(redisUrl, QUEUES.intake.name, prefix);
    const poster = createSlackPoster({
      client: createSlackClient({ token: 'xoxb-1', apiUrl: slack.apiUrl, logger }),
      logger,
      nativeStreaming: false,
      badges: defaultBadges,
    });
    const requests = createRequestStore({ redis, keys: createKeys(prefix), retentionSeconds: 60 });
    let ran = false;
    const worker = new Worker(
      QUEUES.intake.name,
      async () => {
        ran = true;
      },
      { connection, prefix, lockDuration: 1_000, stalledInterval: 1_000 },
    );
    worker.on(
      'failed',
      createIntakeStalledOut({
        poster,
        requests,
        threadSession: createThreadSession({ requests, sessions: poster.sessions, logger }),
        logger,
        workspaces: singleWorkspace({ botUserId: 'UBOT', botId: 'BBOT', teamId: 'T1' }, 'xoxb-test'),
      }),
    );
    onTestFinished(() => worker.close(true));
    const note = await slack.waitFor(
      () => slack.messages('C2', root.ts).find((m) => m.text === INTAKE_STALLED_TEXT),
      10_000,
    );
    expect(note.metadata?.event_type).toBe('backchannel_note');
    expect(ran).toBe(false);
    expect(lines.some((l) => l.includes(request.id) && l.includes('stalling too often'))).toBe(true);
  }, 30_000);
});
