import { describe, expect, it } from 'vitest';
import { until } from '../support/redis-state.js';
import { notesIn, useStack } from '../support/stack.js';

const start = useStack();

const depth = async (port: number, state: string): Promise<number | undefined> => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('backchannel_queue_jobs{') && l.includes(`state="${state}"`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
};

describe('queue depth in /metrics', () => {
  it('shows the answers queue’s jobs by state, as Redis holds them', async () => {
    // The web role alone: nothing runs the jobs, so they stay queued.
    const s = await start({ role: 'web' });
    expect(await depth(s.bot.port, 'prioritized')).toBe(0);
    for (const [i, channel] of ['C1', 'C2'].entries()) {
      const { ts } = await s.driver.mention({ channel, user: `U${i}`, text: `later report ${i}` });
      await s.slack.waitFor(() => notesIn(s, channel, ts)[0]);
    }
    expect(await until(async () => (await depth(s.bot.port, 'prioritized')) === 2)).toBe(true);
    expect(await depth(s.bot.port, 'active')).toBe(0);
  });
});
