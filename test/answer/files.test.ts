import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFileResolver, filesUsed } from '../../src/answer/files.js';
import type { FileRef, Turn } from '../../src/core/domain.js';
import { inWorkspace } from '../../src/core/workspace.js';
import { createDownloader } from '../../src/out/files/download.js';
import { extractFile } from '../../src/out/files/extract.js';
import { buildResultModal } from '../../src/out/views/result-modal.js';
import { createFileTextStore } from '../../src/sessions/file-texts.js';
import { createKeys, teamKeyPatterns } from '../../src/sessions/keys.js';
import { type SharedFileSeed, type SlackApiStandin, startSlackApi } from '../../standins/slack/index.js';
import { NOW, record, result } from '../out/views/fixtures.js';

/**
 * The file reader on a real Redis cache and the Slack stand-in's file downloads: the bot token of
 * the workspace the work runs in, the byte caps, the deadline, and the cache per file id.
 */
let redis: Redis;
let slack: SlackApiStandin;
beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  slack = await startSlackApi({ token: 'xoxb-team-token' });
});
afterAll(async () => {
  await redis.quit();
  await slack.close();
});

const MB = 1024 * 1024;
const limits = {
  maxBytes: 10 * MB,
  maxBytesPerRequest: 12 * MB,
  downloadTimeoutMs: 2_000,
  csvMaxRows: 200,
  pdfMaxPages: 20,
  vision: false,
};
const workspace = (botToken: string) => ({ teamId: 'T0TEAM', botUserId: 'U0BOT', botId: 'B0BOT', botToken });

const setup = (over: Partial<typeof limits> = {}) => {
  const prefix = `{files-${Math.random().toString(36).slice(2, 8)}}`;
  const keys = createKeys(prefix);
  const l = { ...limits, ...over };
  const resolver = createFileResolver({
    store: createFileTextStore({ redis, keys, ttlSeconds: 600 }),
    download: createDownloader({ allowedOrigins: [new URL(slack.apiUrl).origin] }),
    extract: (file, bytes) => extractFile(file, bytes, l),
    limits: l,
    logger: pino({ level: 'silent' }),
  });
  return { keys, prefix, resolver };
};

/** Shares files on a seeded message and gives them as the turn the bot would read. */
const shared = (files: SharedFileSeed[]): Turn => {
  const m = slack.addMessage({ channel: 'C1', user: 'U1', text: 'look', files });
  const refs: FileRef[] = (m.files ?? []).map((f) => ({
    id: String(f.id),
    name: String(f.name),
    size: Number(f.size),
    url: String(f.url_private_download),
    ...(f.is_external ? { external: true } : {}),
  }));
  return { role: 'user', userId: 'U1', text: 'look', ts: m.ts, files: refs };
};

describe('reading shared files', () => {
  it('downloads with the bot token of the workspace the work runs in, and caches the text per file id', async () => {
    const { resolver, keys, prefix } = setup();
    const turn = shared([{ name: 'a.txt', bytes: Buffer.from('alpha file') }]);
    const [read] = await inWorkspace(workspace('xoxb-team-token'), () => resolver.expand('T0TEAM', [turn]));
    expect(read?.attachments).toBe('[File: a.txt]\nalpha file\n[End of file: a.txt]');
    const id = turn.files![0]!.id;
    expect(slack.fileDownloads().filter((d) => d.id === id)).toMatchObject([
      { status: 200, token: 'xoxb-team-token' },
    ]);
    // Cached under the team, where an uninstall's purge finds it.
    const key = keys.fileText('T0TEAM', id);
    expect(JSON.parse((await redis.get(key)) ?? '{}')).toEqual({ kind: 'text', text: 'alpha file' });
    expect(teamKeyPatterns(prefix, 'T0TEAM')).toContain(`${prefix}:team:T0TEAM:*`);
    expect(await redis.ttl(key)).toBeGreaterThan(500);
    await inWorkspace(workspace('xoxb-team-token'), () => resolver.expand('T0TEAM', [turn]));
    expect(slack.fileDownloads().filter((d) => d.id === id)).toHaveLength(1);
  });

  it('finds every file of a thread already read in one round trip, downloading none again', async () => {
    const keys = createKeys(`{files-${Math.random().toString(36).slice(2, 8)}}`);
    const reads: string[][] = [];
    const counting = {
      mget: (...k: string[]) => {
        reads.push(k);
        return redis.mget(...k);
      },
      set: redis.set.bind(redis),
    } as unknown as Redis;
    const resolver = createFileResolver({
      store: createFileTextStore({ redis: counting, keys, ttlSeconds: 600 }),
      download: createDownloader({ allowedOrigins: [new URL(slack.apiUrl).origin] }),
      extract: (file, bytes) => extractFile(file, bytes, limits),
      limits,
      logger: pino({ level: 'silent' }),
    });
    const turns = ['one', 'two', 'three'].map((n) =>
      shared([{ name: `${n}.txt`, bytes: Buffer.from(`file ${n}`) }]),
    );
    const ids = turns.map((t) => t.files![0]!.id);
    const downloads = () => slack.fileDownloads().filter((d) => ids.includes(d.id)).length;
    await inWorkspace(workspace('xoxb-team-token'), () => resolver.expand('T0TEAM', turns));
    expect(downloads()).toBe(3);
    reads.length = 0;
    const again = await inWorkspace(workspace('xoxb-team-token'), () => resolver.expand('T0TEAM', turns));
    expect(again.map((t) => t.attachments)).toEqual(
      turns.map((_, i) => expect.stringContaining(`file ${['one', 'two', 'three'][i]}`)),
    );
    expect(reads).toHaveLength(1);
    expect(reads[0]).toHaveLength(3);
    expect(downloads()).toBe(3);
  });

  it('is refused (401) with another token, and says so without caching it', async () => {
    const { resolver, keys } = setup();
    const turn = shared([{ name: 'b.txt', bytes: Buffer.from('beta') }]);
    const [read] = await inWorkspace(workspace('xoxb-someone-else'), () => resolver.expand('T0TEAM', [turn]));
    expect(read?.attachments).toBe(
      '[File: b.txt: I am not allowed to read this file; paste the part you need]',
    );
    expect(slack.fileDownloads().at(-1)).toMatchObject({ status: 401 });
    expect(await redis.get(keys.fileText('T0TEAM', turn.files![0]!.id))).toBeNull();
  });

  it('never sends the token outside Slack, nor without a workspace', async () => {
    const { resolver } = setup();
    const before = slack.fileDownloads().length;
    const turn: Turn = {
      role: 'user',
      text: 'x',
      ts: '1.0',
      files: [{ id: 'F1', name: 'x.txt', size: 10, url: 'https://evil.example.com/x.txt' }],
    };
    const [read] = await inWorkspace(workspace('xoxb-team-token'), () => resolver.expand('T0TEAM', [turn]));
    expect(read?.attachments).toContain('I am not allowed to read this file');
    const [outside] = await resolver.expand('T0TEAM', [shared([{ name: 'c.txt', bytes: Buffer.from('c') }])]);
    expect(outside?.attachments).toContain('I am not allowed to read this file');
    expect(slack.fileDownloads().length).toBe(before);
  });

  it('stops reading a body past the cap, whatever its size claimed', async () => {
    const { resolver } = setup({ maxBytes: 1 * MB });
    const turn = shared([{ name: 'big.log', generate: 40 * MB, size: 100, chunked: true }]);
    const [read] = await inWorkspace(workspace('xoxb-team-token'), () => resolver.expand('T0TEAM', [turn]));
    expect(read?.attachments).toBe('[File: big.log: over the 1 MB limit per file, not read]');
  });

  it('spends the per-request cap on the question first', async () => {
    const { resolver } = setup({ maxBytesPerRequest: 1.5 * MB });
    const older = shared([{ name: 'old.txt', bytes: Buffer.alloc(1 * MB, 0x61) }]);
    const question = shared([{ name: 'new.txt', bytes: Buffer.alloc(1 * MB, 0x62) }]);
    const [o, q] = await inWorkspace(workspace('xoxb-team-token'), () =>
      resolver.expand('T0TEAM', [older, question]),
    );
    expect(q?.attachments).toContain('[File: new.txt]\nbbbb');
    expect(o?.attachments).toBe(
      '[File: old.txt: not read: the files of this question reached the 1.5 MB limit per request]',
    );
    expect(filesUsed([o!, q!], [{ role: 'user', content: `${o?.attachments}\n${q?.attachments}` }])).toEqual([
      'new.txt',
    ]);
  });

  it('gives up on a download past its deadline', async () => {
    // A stand-in that never answers: a URL on a port that accepts and holds the connection.
    const hold = await import('node:http').then((http) => {
      const server = http.createServer(() => undefined);
      return new Promise<import('node:http').Server>((r) => server.listen(0, '127.0.0.1', () => r(server)));
    });
    const port = (hold.address() as { port: number }).port;
    const download = createDownloader({ allowedOrigins: [`http://127.0.0.1:${port}`] });
    const got = await inWorkspace(workspace('xoxb-team-token'), () =>
      download(`http://127.0.0.1:${port}/files-pri/F1/download/slow.txt`, { maxBytes: 100, timeoutMs: 300 }),
    );
    hold.closeAllConnections();
    hold.close();
    expect(got).toEqual({ ok: false, why: 'timeout' });
  });
});

describe('the result modal', () => {
  it('lists the files the answer read', () => {
    const view = buildResultModal(record(), { ...result(), files: ['report.pdf', 'a*b.csv'] }, { now: NOW });
    expect(JSON.stringify(view.blocks)).toContain('📎 Files read: report.pdf, a');
  });
});
