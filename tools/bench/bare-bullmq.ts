import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * The floor for background throughput: a BullMQ worker with a no-op processor, nothing else.
 * Env: REDIS_URL, BARE_QUEUE, BARE_PREFIX, BARE_CONCURRENCY. Prints `bare worker ready` once it
 * is connected and waiting for jobs.
 */
const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: null,
});
const worker = new Worker(process.env.BARE_QUEUE ?? 'bare', async () => {}, {
  connection,
  prefix: process.env.BARE_PREFIX ?? 'bare',
  concurrency: Number(process.env.BARE_CONCURRENCY ?? 4),
});
worker.on('error', (err) => process.stderr.write(`bare worker error: ${err.message}\n`));
await worker.waitUntilReady();
process.stdout.write('bare worker ready\n');
process.once('SIGTERM', () => {
  void worker
    .close()
    .then(() => connection.quit())
    .finally(() => process.exit(0));
});
