import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { policyFileSchema } from '../../src/core/policy.js';
import type { PolicySource } from '../../src/core/policy-file.js';
import { createKeys } from '../../src/sessions/keys.js';
import { createPolicyStore } from '../../src/sessions/policy-store.js';

const connections: Redis[] = [];
const connect = () => {
  const r = new Redis(inject('redisUrl'));
  connections.push(r);
  return r;
};
afterAll(async () => {
  await Promise.all(connections.map((c) => c.quit()));
});

const file: PolicySource = {
  current: () => policyFileSchema.parse({ channels: { C0123: { respond: 'mention' } } }),
  onChange: () => {},
  stop: () => {},
};
const builtIn = { systemPrompt: 'built-in', model: 'm1' };

/** One "process": its own connections, cache and subscription, on the shared Redis and prefix. */
const instance = async (prefix: string, cacheMs?: number) => {
  const store = createPolicyStore({
    redis: connect(),
    subscriber: connect(),
    keys: createKeys(prefix),
    file,
    builtIn,
    logger: pino({ level: 'silent' }),
    ...(cacheMs !== undefined ? { cacheMs } : {}),
  });
  await store.start();
  return store;
};

let prefix: string;
beforeAll(() => {
  prefix = `{pol${Math.random().toString(36).slice(2, 8)}}`;
});

describe('the policy store', () => {
  it('shows an edit made through one process to another within 5 s, with no restart', async () => {
    // A long cache: only the announcement can make the other process see the edit in time.
    const [a, b] = await Promise.all([instance(prefix, 60_000), instance(prefix, 60_000)]);
    expect((await b.resolve('T1', 'C0999')).respond).toBe('thread');
    await a.setEdits('T1', 'C0999', { respond: 'off' });
    await expect.poll(async () => (await b.resolve('T1', 'C0999')).respond, { timeout: 5000 }).toBe('off');
    // A field the file sets for a channel stays the file's.
    await a.setEdits('T1', 'C0123', { respond: 'thread', model: 'm1' });
    await expect.poll(async () => (await b.resolve('T1', 'C0123')).model, { timeout: 5000 }).toBe('m1');
    expect((await b.resolve('T1', 'C0123')).respond).toBe('mention');
    // Another workspace is untouched.
    expect((await b.resolve('T2', 'C0999')).respond).toBe('thread');
  });

  it('re-reads a workspace within its short expiry even when the announcement is missed', async () => {
    const c = await instance(prefix);
    await c.resolve('T3');
    // Written behind the store's back: no announcement.
    await connect().hset(createKeys(prefix).policyEdits('T3'), '*', JSON.stringify({ private: true }));
    await expect.poll(async () => (await c.resolve('T3')).private, { timeout: 5000 }).toBe(true);
  });

  it('keeps a workspace’s edits and removes them when emptied', async () => {
    const d = await instance(prefix);
    await d.setEdits('T4', undefined, { background: false, systemPrompt: 'be brief' });
    expect(await d.editsOf('T4')).toEqual({ background: false, systemPrompt: 'be brief' });
    expect(await d.resolve('T4', 'C1')).toMatchObject({ background: false, systemPrompt: 'be brief' });
    await d.setEdits('T4', undefined, {});
    expect(await connect().exists(createKeys(prefix).policyEdits('T4'))).toBe(0);
  });
});
