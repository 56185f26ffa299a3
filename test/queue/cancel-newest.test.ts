import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeys } from '../../src/sessions/keys.js';
import { createRequestStore } from '../../src/sessions/requests.js';
import { notesIn, useStack } from '../support/stack.js';

const start = useStack();
let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

describe('/ask cancel', () => {
  it('finds a queued request behind hundreds of newer finished ones', async () => {
    // Web role only: nothing runs the job, so it stays queued.
    const s = await start({ role: 'web' });
    const { ts } = await s.driver.mention({ channel: 'C1', user: 'UBUSY', text: 'later the buried one' });
    await s.slack.waitFor(() => notesIn(s, 'C1', ts)[0]);

    // 250 newer requests of the same user, all finished (more than the 200 the old search read).
    const store = createRequestStore({ redis, keys: createKeys(s.prefix), retentionSeconds: 3_600 });
    for (let i = 0; i < 250; i++) {
      const t = `${1_800_000_000 + i}.000100`;
      await store.create({
        id: `T0TEAM:D1:${t}`,
        teamId: 'T0TEAM',
        userId: 'UBUSY',
        channelId: 'D1',
        threadTs: t,
        badgeTs: t,
        title: `finished ${i}`,
        state: 'done',
        path: 'foreground',
      });
    }

    const { responseId } = await s.driver.command({ text: 'cancel', user: 'UBUSY', channel: 'C1' });
    const response = await s.slack.waitFor(() => s.slack.responses(responseId)[0]);
    expect(JSON.stringify(response)).toContain('Cancelled your queued request “the buried one”');
    expect(await redis.hget(createKeys(s.prefix).request(`T0TEAM:C1:${ts}`), 'state')).toBe('cancelled');
    await s.slack.waitFor(() => notesIn(s, 'C1', ts).find((m) => /Cancelled/.test(m.text)));
  });
});
