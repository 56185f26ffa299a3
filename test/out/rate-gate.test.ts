import { WebAPIRateLimitedError } from '@slack/web-api';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createRateGate } from '../../src/out/rate-gate.js';
import { testClock } from '../support/test-clock.js';

/** Slack round trips go through real sockets to nock; leave room on a loaded machine. */
const waitFor = <T>(check: () => T) => vi.waitFor(check, { timeout: 5000, interval: 5 });

const limited = (retryAfter: number) => new WebAPIRateLimitedError(retryAfter);

describe('createRateGate', () => {
  it('holds back only the limited method and channel, then retries', async () => {
    const clock = testClock({ auto: false });
    const gate = createRateGate({ logger: pino({ level: 'silent' }), now: clock.now, sleep: clock.sleep });
    let first = true;
    const c1 = gate.run('chat.postMessage', 'C1', async () => {
      if (first) {
        first = false;
        throw limited(5);
      }
      return 'c1';
    });
    await waitFor(() => expect(clock.pending()).toBe(1));
    await expect(gate.run('chat.postMessage', 'C2', async () => 'c2')).resolves.toBe('c2');
    await expect(gate.run('chat.update', 'C1', async () => 'update')).resolves.toBe('update');
    expect(gate.blockedUntil('chat.postMessage', 'C1')).toBe(clock.now() + 5000);
    clock.advance(5000);
    await expect(c1).resolves.toBe('c1');
    expect(gate.blockedUntil('chat.postMessage', 'C1')).toBeUndefined();
  });

  it('does not wait when the caller has a better plan', async () => {
    const clock = testClock({ auto: false });
    const gate = createRateGate({ logger: pino({ level: 'silent' }), now: clock.now, sleep: clock.sleep });
    await expect(
      gate.run('chat.startStream', 'C1', async () => Promise.reject(limited(3)), { retryOnRateLimit: false }),
    ).rejects.toMatchObject({ retryAfter: 3 });
    // Later calls of that method and channel are refused until the hint passes.
    await expect(
      gate.run('chat.startStream', 'C1', async () => 'never', { retryOnRateLimit: false }),
    ).rejects.toBeInstanceOf(WebAPIRateLimitedError);
    clock.advance(3000);
    await expect(
      gate.run('chat.startStream', 'C1', async () => 'ok', { retryOnRateLimit: false }),
    ).resolves.toBe('ok');
  });

  it('gives up after a few 429s in a row', async () => {
    const clock = testClock({ auto: true });
    const gate = createRateGate({
      logger: pino({ level: 'silent' }),
      now: clock.now,
      sleep: clock.sleep,
      maxRetries: 2,
    });
    const call = vi.fn(async () => Promise.reject(limited(1)));
    await expect(gate.run('reactions.add', 'C1', call)).rejects.toMatchObject({ retryAfter: 1 });
    expect(call).toHaveBeenCalledTimes(3);
  });

  it('passes other errors straight through', async () => {
    const gate = createRateGate({ logger: pino({ level: 'silent' }) });
    await expect(
      gate.run('chat.update', 'C1', async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
  });
});
