import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AUDIT_MAX_ENTRIES, createAdminAudit } from '../../src/sessions/admin-audit.js';
import { createKeys } from '../../src/sessions/keys.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await redis.quit();
});

describe('admin audit log', () => {
  it('keeps each workspace its own entries, newest first, capped, skipping unreadable ones', async () => {
    const keys = createKeys(`audit${Math.random().toString(36).slice(2, 8)}`);
    const audit = createAdminAudit({ redis, keys });
    for (let i = 0; i < AUDIT_MAX_ENTRIES + 5; i++) await audit.record('T1', 'UADMIN', `change ${i}`, i);
    await audit.record('T2', 'UOTHER', 'other team');
    await redis.lpush(keys.adminAudit('T1'), 'not json');

    const recent = await audit.recent('T1', 3);
    expect(recent.map((e) => e.what)).toEqual([
      `change ${AUDIT_MAX_ENTRIES + 4}`,
      `change ${AUDIT_MAX_ENTRIES + 3}`,
    ]);
    expect(recent[0]).toEqual({
      at: AUDIT_MAX_ENTRIES + 4,
      by: 'UADMIN',
      what: `change ${AUDIT_MAX_ENTRIES + 4}`,
    });
    expect(await redis.llen(keys.adminAudit('T1'))).toBe(AUDIT_MAX_ENTRIES + 1);
    expect((await audit.recent('T2')).map((e) => e.what)).toEqual(['other team']);
  });
});
