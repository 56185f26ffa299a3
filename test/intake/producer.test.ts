import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, expectTypeOf, inject, it } from 'vitest';
import type { AcceptedRequest } from '../../src/core/domain.js';
import { isAppError } from '../../src/core/errors.js';
import { createIntake } from '../../src/intake/intake.js';
import {
  type ActionJob,
  type HomeOpenedJob,
  type IntakeWork,
  intakeJobId,
  QUEUES,
} from '../../src/queue/registry.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createThreadLocks } from '../../src/sessions/thread-lock.js';
import { until } from '../support/redis-state.js';

const logger = pino({ level: 'silent' });
let redis: Redis;
const queues: Queue[] = [];
beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  await redis.quit();
});

/** An intake on its own (cluster-style, hash-tagged) prefix of the test Redis. */
const setup = () => {
  const prefix = `{in${randomUUID().slice(0, 8)}}`;
  const queue = new Queue(QUEUES.intake.name, { connection: redis, prefix });
  queues.push(queue);
  const keys = createKeys(prefix);
  const locks = createThreadLocks({ redis, keys, logger });
  return { prefix, queue, keys, locks, intake: createIntake({ queue, logger }) };
};

const thread = { teamId: 'T1', channelId: 'C1', threadTs: '1700000000.000100' };
const message = (ts: string): AcceptedRequest & { ts: string } => ({
  id: `T1:C1:${ts}`,
  source: 'mention',
  teamId: 'T1',
  channelId: 'C1',
  userId: 'U1',
  text: 'what is our refund policy?',
  ts,
  threadTs: thread.threadTs,
  isDm: false,
  receivedAt: Date.now(),
});

describe('the intake producer', () => {
  it('writes a request in one Redis round trip: a single transaction, nothing before or after it', async () => {
    const { locks, intake } = setup();
    // The first write on a connection loads the scripts; every later one sends them by hash.
    const warm = message('1700000001.000100');
    await intake.accept(warm, `msg:${warm.id}`, locks.order(thread, warm.ts));
    const monitor = await new Redis(inject('redisUrl')).monitor();
    const sent: string[] = [];
    const ours = `${redis.stream.localAddress}:${redis.stream.localPort}`;
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === ours) sent.push(String(args[0]).toLowerCase());
    });
    try {
      const request = message('1700000001.000300');
      expect(await intake.accept(request, `msg:${request.id}`, locks.order(thread, request.ts))).toBe(
        'accepted',
      );
      await redis.ping();
      await until(async () => sent.includes('ping'), 5_000, 'the ping, on the monitor');
      // The check-and-order script, BullMQ's add script, and the ping that marks the end.
      expect(sent).toEqual(['multi', 'evalsha', 'evalsha', 'exec', 'ping']);
    } finally {
      monitor.disconnect();
    }
  });

  it('writes each kind of work under its registry job name, as the processor’s schema reads it back', async () => {
    const { queue, intake } = setup();
    const opened: HomeOpenedJob = { teamId: 'T1', userId: 'U1' };
    const click: ActionJob = {
      teamId: 'T1',
      userId: 'U1',
      actionId: 'bc_retry',
      value: 'r1',
      container: 'view',
    };
    expect(await intake.acceptWork('homeOpened', 'T1:home:Ev1', opened, 'evt:Ev1')).toBe('accepted');
    expect(await intake.acceptWork('action', 'T1:act:1', click, 'act:1')).toBe('accepted');
    const home = await queue.getJob(intakeJobId('T1:home:Ev1'));
    const action = await queue.getJob(intakeJobId('T1:act:1'));
    expect(home?.name).toBe(QUEUES.intake.homeOpened.job);
    expect(QUEUES.intake.homeOpened.schema.parse(home?.data)).toEqual(opened);
    expect(action?.name).toBe(QUEUES.intake.action.job);
    expect(QUEUES.intake.action.schema.parse(action?.data)).toEqual(click);
  });

  it('stores a message once, with its place in its thread, however often it is delivered', async () => {
    const { queue, keys, locks, intake } = setup();
    const request = message('1700000001.000200');
    const order = () => locks.order(thread, request.ts);
    const first = await Promise.all([
      intake.accept(request, `msg:${request.id}`, order()),
      intake.accept(request, `msg:${request.id}`, order()),
    ]);
    expect(first.sort()).toEqual(['accepted', 'duplicate']);
    expect(await queue.getJobCounts('prioritized', 'waiting')).toEqual({ prioritized: 1, waiting: 0 });
    const orderKey = keys.threadQueue(thread.teamId, thread.channelId, thread.threadTs);
    expect(await redis.zrange(orderKey, '0', '-1')).toEqual([request.ts]);
  });

  it('never puts an answered message back in its thread’s order when a late twin arrives', async () => {
    const { prefix, queue, keys, locks, intake } = setup();
    const request = message('1700000002.000300');
    expect(await intake.accept(request, `msg:${request.id}`, locks.order(thread, request.ts))).toBe(
      'accepted',
    );
    // Answered: the job finished, BullMQ's retention removed it, and the message left the order.
    const worker = new Worker(QUEUES.intake.name, async () => 'answered', {
      connection: redis.duplicate(),
      prefix,
    });
    await new Promise((resolve) => worker.once('completed', resolve));
    await worker.close();
    await redis.del(queue.toKey(intakeJobId(request.id)));
    await locks.leave(thread, request.ts);
    expect(await intake.accept(request, `msg:${request.id}`, locks.order(thread, request.ts))).toBe(
      'duplicate',
    );
    const orderKey = keys.threadQueue(thread.teamId, thread.channelId, thread.threadTs);
    expect(await redis.zcard(orderKey)).toBe(0);
    expect(await queue.getJobCounts('prioritized', 'completed')).toEqual({ prioritized: 0, completed: 1 });
  });

  it('takes a request whose first write failed, and writes nothing when Redis is down', async () => {
    const { prefix, keys, intake } = setup();
    // Nothing listens on port 1: every connection is refused, as when Redis is down.
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    const deadQueue = new Queue(QUEUES.intake.name, { connection: down, prefix });
    deadQueue.on('error', () => undefined);
    const request = message('1700000003.000400');
    const failing = createIntake({ queue: deadQueue, logger, writeTimeoutMs: 500 });
    const error = await failing.accept(request, `msg:${request.id}`).catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('redis_unavailable');
    down.disconnect();
    expect(await redis.keys(`${keys.prefix}:intake:de:*`)).toEqual([]);
    expect(await redis.keys(`${keys.prefix}:intake:T1_*`)).toEqual([]);
    // Slack's redelivery reaches a healthy process and is taken.
    expect(await intake.accept(request, `msg:${request.id}`)).toBe('accepted');
  });

  it('takes, for each kind, exactly the type its schema gives the consumer', () => {
    const { intake } = setup();
    expectTypeOf<IntakeWork['homeOpened']>().toEqualTypeOf<HomeOpenedJob>();
    expectTypeOf<IntakeWork['action']>().toEqualTypeOf<ActionJob>();
    expectTypeOf(intake.acceptWork<'homeOpened'>)
      .parameter(2)
      .toEqualTypeOf<HomeOpenedJob>();
    // A payload the consumer's schema would refuse does not compile.
    const wrong = () => {
      // @ts-expect-error: a Home-opened job needs the user
      void intake.acceptWork('homeOpened', 'id', { teamId: 'T1' }, 'evt:1');
      // @ts-expect-error: a click is not a Home-opened job
      void intake.acceptWork('action', 'id', { teamId: 'T1', userId: 'U1' }, 'act:1');
    };
    expect(wrong).toBeTypeOf('function');
  });
});
