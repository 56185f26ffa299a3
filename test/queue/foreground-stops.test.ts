import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { StoppedBy, stopOf } from '../../src/core/stop.js';
import { createForegroundStops } from '../../src/queue/foreground-stops.js';
import { createKeys } from '../../src/sessions/keys.js';

const logger = pino({ level: 'silent' });
const open: Redis[] = [];
const connect = () => {
  const r = new Redis(inject('redisUrl'));
  open.push(r);
  return r;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.quit()));
});

/** One web process's stops: its own subscriber, on a deployment's prefix. */
const processOf = async (prefix: string) => {
  const stops = createForegroundStops({
    subscriber: connect(),
    redis: connect(),
    keys: createKeys(prefix),
    logger,
  });
  await stops.start();
  return stops;
};
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

describe('stops of foreground answers across web processes', () => {
  it('aborts the answer in whichever process runs it, with who stopped it and the stopped streams', async () => {
    const prefix = `fs${randomUUID().slice(0, 8)}`;
    const [a, b] = [await processOf(prefix), await processOf(prefix)];
    const answer = a.track('T1:C1:1.0');
    const other = a.track('T1:C1:2.0');
    const started = Date.now();
    // Published by the other process: both hear it, the one running the answer stops it.
    expect(await b.publish({ requestId: 'T1:C1:1.0', userId: 'U9', streams: ['1.5'] })).toBe(2);
    await aborted(answer.signal);
    expect(Date.now() - started).toBeLessThan(1_000);
    const stop = stopOf(answer.signal);
    expect(stop).toBeInstanceOf(StoppedBy);
    expect(stop).toMatchObject({ userId: 'U9', streams: ['1.5'] });
    expect(other.signal.aborted).toBe(false);
  });

  it('stops nothing once the answer is over, nor another deployment’s, nor on a notice it cannot read', async () => {
    const prefix = `fs${randomUUID().slice(0, 8)}`;
    const a = await processOf(prefix);
    const elsewhere = await processOf(`fs${randomUUID().slice(0, 8)}`);
    const done = a.track('T1:C1:1.0');
    a.untrack('T1:C1:1.0', done);
    const running = a.track('T1:C1:3.0');
    await elsewhere.publish({ requestId: 'T1:C1:3.0', userId: 'U9', streams: [] });
    await connect().publish(createKeys(prefix).stopChannel(), '{"requestId": 5}');
    await a.publish({ requestId: 'T1:C1:1.0', userId: 'U9', streams: [] });
    await new Promise((r) => setTimeout(r, 100));
    expect(done.signal.aborted).toBe(false);
    expect(running.signal.aborted).toBe(false);
  });
});
