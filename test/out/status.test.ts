import type { WebClient } from '@slack/web-api';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import type { SlackCall } from '../../src/out/slack-call.js';
import { createStatusKeeper } from '../../src/out/status.js';
import { testClock } from '../support/test-clock.js';

const thread = { channelId: 'C1', threadTs: '1.1' };
const waitFor = <T>(check: () => T) => vi.waitFor(check, { timeout: 2000, interval: 2 });

/** A status keeper on a fake Slack: `refuse` makes every setStatus fail (no assistant thread). */
const setup = (opts: { refuse?: boolean; maxMs?: number; rateLimitCall?: number } = {}) => {
  const clock = testClock({ auto: false });
  const sent: string[] = [];
  let calls = 0;
  const client = {
    assistant: {
      threads: {
        setStatus: async (args: { status: string }) => {
          calls += 1;
          if (opts.refuse) throw new Error('not an assistant thread');
          if (calls === opts.rateLimitCall)
            throw new AppError('slack_api', 'rate limited', { retryable: true, retryAfterMs: 1_000 });
          sent.push(args.status);
          return { ok: true };
        },
      },
    },
  } as unknown as Pick<WebClient, 'assistant'>;
  const call: SlackCall = (_method, _channel, fn) => fn();
  const keeper = createStatusKeeper({
    client,
    call,
    logger: pino({ level: 'silent' }),
    now: clock.now,
    sleep: clock.sleep,
    refreshMs: 1_000,
    ...(opts.maxMs !== undefined ? { maxMs: opts.maxMs } : {}),
  });
  return { clock, sent, keeper };
};

describe('the assistant status keepalive', () => {
  it('shows the status, refreshes it, and stops when told', async () => {
    const { clock, sent, keeper } = setup();
    const status = await keeper.setStatus(thread, 'is thinking…');
    expect(status.shown).toBe(true);
    expect(sent).toEqual(['is thinking…']);
    clock.advance(1_000);
    await waitFor(() => expect(sent).toHaveLength(2));
    await waitFor(() => expect(clock.pending()).toBe(1));
    clock.advance(1_000);
    await waitFor(() => expect(sent).toEqual(['is thinking…', 'is thinking…', 'is thinking…']));
    await status.stop();
    expect(clock.pending()).toBe(0);
    clock.advance(10_000);
    expect(sent).toHaveLength(3);
  });

  it('blanks the status on stop when asked to (no reply will clear it)', async () => {
    const { sent, keeper } = setup();
    const status = await keeper.setStatus(thread, 'is thinking…');
    await status.stop({ clear: true });
    await status.stop({ clear: true });
    expect(sent).toEqual(['is thinking…', '']);
  });

  it('halts every keepalive of a thread once the app posts there, and only that thread’s', async () => {
    const { clock, sent, keeper } = setup();
    const here = await keeper.setStatus(thread, 'here');
    await keeper.setStatus({ channelId: 'C1', threadTs: '2.2' }, 'there');
    keeper.postedIn('C1', '1.1');
    await waitFor(() => expect(clock.pending()).toBe(1));
    clock.advance(1_000);
    await waitFor(() => expect(sent).toEqual(['here', 'there', 'there']));
    // Stopping a halted handle is harmless, and its status is not blanked over the answer.
    await here.stop({ clear: true });
    expect(sent).toEqual(['here', 'there', 'there']);
  });

  it('gives up on a thread where Slack refuses the status, without retrying', async () => {
    const { clock, sent, keeper } = setup({ refuse: true });
    const status = await keeper.setStatus(thread, 'is thinking…');
    expect(status.shown).toBe(false);
    expect(clock.pending()).toBe(0);
    await expect(status.stop({ clear: true })).resolves.toBeUndefined();
    expect(sent).toEqual([]);
  });

  it('keeps refreshing after a refresh Slack refused for now (a 429)', async () => {
    const { clock, sent, keeper } = setup({ rateLimitCall: 2 });
    const status = await keeper.setStatus(thread, 'is thinking…');
    for (let i = 0; i < 2; i++) {
      await waitFor(() => expect(clock.pending()).toBe(1));
      clock.advance(1_000);
    }
    await waitFor(() => expect(sent).toEqual(['is thinking…', 'is thinking…']));
    expect(status.shown).toBe(true);
    await status.stop();
  });

  it('stops refreshing a forgotten status after its maximum time', async () => {
    const { clock, sent, keeper } = setup({ maxMs: 2_500 });
    await keeper.setStatus(thread, 'is thinking…');
    for (let i = 0; i < 3; i++) {
      await waitFor(() => expect(clock.pending()).toBe(1));
      clock.advance(1_000);
    }
    await waitFor(() => expect(sent).toHaveLength(4));
    await new Promise((r) => setTimeout(r, 20));
    expect(clock.pending()).toBe(0);
    expect(sent).toHaveLength(4);
  });
});
