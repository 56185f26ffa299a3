import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLifecycle, hardDeadlineMs } from '../src/lifecycle.js';

const setup = (stop: () => Promise<boolean>, shutdownTimeoutMs = 60_000) => {
  const exits: number[] = [];
  const lines: string[] = [];
  const rejections = { n: 0 };
  const lifecycle = createLifecycle({
    logger: pino({ level: 'debug' }, { write: (l: string) => lines.push(l) }),
    exit: (code) => exits.push(code),
    onRejection: () => rejections.n++,
  });
  lifecycle.started({ config: { shutdownTimeoutMs }, stop });
  return { lifecycle, exits, lines, rejections };
};

describe('the process lifecycle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives a hung shutdown SHUTDOWN_TIMEOUT_MS (60 s here), not 29 s, then exits 1', async () => {
    const { lifecycle, exits } = setup(() => new Promise<boolean>(() => {}), 60_000);
    lifecycle.shutDown();
    await vi.advanceTimersByTimeAsync(29_500);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(hardDeadlineMs(60_000) - 29_500);
    expect(exits).toEqual([1]);
    expect(hardDeadlineMs(60_000)).toBeLessThanOrEqual(65_000);
  });

  it('exits 0 when every step closed in time, 1 when the shutdown had to be forced', async () => {
    const clean = setup(async () => true);
    clean.lifecycle.shutDown();
    await vi.advanceTimersByTimeAsync(0);
    expect(clean.exits).toEqual([0]);

    const forced = setup(async () => false);
    forced.lifecycle.shutDown();
    await vi.advanceTimersByTimeAsync(0);
    expect(forced.exits).toEqual([1]);
  });

  it('shuts down and exits 1 on an uncaught exception', async () => {
    const { lifecycle, exits, lines } = setup(async () => true);
    lifecycle.fatal(new TypeError('boom'), 'uncaughtException');
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([1]);
    expect(lines.join('\n')).toContain('uncaught exception, shutting down');
  });

  it('logs and counts an unhandled rejection, and keeps running', async () => {
    const { lifecycle, exits, lines, rejections } = setup(async () => true);
    lifecycle.rejection(new Error('nobody awaited me'));
    lifecycle.rejection(null);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(exits).toEqual([]);
    expect(rejections.n).toBe(2);
    expect(lines.filter((l) => l.includes('unhandled promise rejection'))).toHaveLength(2);
  });

  it('stops as soon as the app has started when the signal came during start-up', async () => {
    const exits: number[] = [];
    const lifecycle = createLifecycle({ logger: pino({ level: 'silent' }), exit: (c) => exits.push(c) });
    lifecycle.shutDown();
    expect(exits).toEqual([]);
    lifecycle.started({ config: { shutdownTimeoutMs: 1000 }, stop: async () => true });
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([0]);
  });
});
