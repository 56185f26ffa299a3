import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it, type Mock, vi } from 'vitest';
import { createQueueWatch } from '../../src/queue/watch.js';

const capture = () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  return { lines, logger };
};
/** A BullMQ worker or queue as far as the watch uses it: events, readiness, close. */
type Fake = EventEmitter & { waitUntilReady: Mock; close: Mock };
const fake = (): Fake =>
  Object.assign(new EventEmitter(), {
    waitUntilReady: vi.fn(async () => {}),
    close: vi.fn(async (_force?: boolean) => {}),
  });

describe('the queue watch', () => {
  it('logs one error line per component a minute, however often the connection fails', () => {
    const { lines, logger } = capture();
    let now = 0;
    const watch = createQueueWatch(logger, () => now);
    const worker = fake();
    const queue = fake();
    watch.worker(worker as never, 'answer worker');
    watch.queue(queue as never, 'answers queue');
    for (let i = 0; i < 50; i++) worker.emit('error', new Error('ECONNREFUSED'));
    queue.emit('error', new Error('ECONNREFUSED'));
    now = 59_999;
    worker.emit('error', new Error('ECONNREFUSED'));
    now = 60_000;
    worker.emit('error', new Error('ECONNREFUSED'));
    const errors = lines.filter((l) => l.msg === 'queue error');
    expect(errors.map((l) => l.what)).toEqual(['answer worker', 'answers queue', 'answer worker']);
    expect(errors[0]).toMatchObject({ level: 50, err: { message: 'ECONNREFUSED' } });
  });

  it('logs failed and stalled jobs with their ids', () => {
    const { lines, logger } = capture();
    const worker = fake();
    createQueueWatch(logger).worker(worker as never, 'intake worker');
    worker.emit('failed', { id: 'j1', attemptsMade: 2 }, new Error('boom'));
    worker.emit('stalled', 'j2');
    expect(lines.map((l) => [l.msg, l.jobId])).toEqual([
      ['job failed', 'j1'],
      ['stalled job taken back to run again', 'j2'],
    ]);
    expect(lines[0]).toMatchObject({ what: 'intake worker', attempts: 2, err: { message: 'boom' } });
  });

  it('waits for every worker and queue, and closes them, workers first when asked', async () => {
    const { logger } = capture();
    const watch = createQueueWatch(logger);
    const workers = [fake(), fake()];
    const queue = fake();
    for (const w of workers) watch.worker(w as never, 'w');
    watch.queue(queue as never, 'q');
    await watch.ready();
    for (const x of [...workers, queue]) expect(x.waitUntilReady).toHaveBeenCalledTimes(1);
    await watch.closeWorkers(true);
    for (const w of workers) expect(w.close).toHaveBeenCalledWith(true);
    expect(queue.close).not.toHaveBeenCalled();
    await watch.closeQueues();
    expect(queue.close).toHaveBeenCalledTimes(1);
  });
});
