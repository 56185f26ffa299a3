import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inWorkspace } from '../../src/core/workspace.js';
import { createSlackClient } from '../../src/out/web-client.js';
import { cachedWorkspaces, runInWorkspace, scopedIdentity, WorkspaceGone } from '../../src/out/workspaces.js';
import { inWorkspaceOf } from '../../src/queue/in-workspace.js';

const logger = pino({ level: 'silent' });
const A = { teamId: 'TA', botUserId: 'UBOTA', botId: 'BA', botToken: 'xoxb-team-a' };
const B = { teamId: 'TB', botUserId: 'UBOTB', botId: 'BB', botToken: 'xoxb-team-b' };

/** A Slack that notes the bearer token of every call. */
let seen: string[] = [];
let BASE = '';
const server = http.createServer((req, res) => {
  seen.push(String(req.headers.authorization));
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"ts":"1.1"}');
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  BASE = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = [];
});

describe('workspaces', () => {
  it('gives every Slack call the token of the workspace its work runs in, awaits and timers included', async () => {
    const client = createSlackClient({ apiUrl: `${BASE}/api/`, logger, retries: 0 });
    const post = () => client.chat.postMessage({ channel: 'C1', text: 'hi' });
    await Promise.all([
      inWorkspace(A, async () => {
        await new Promise((r) => setTimeout(r, 5));
        await post();
      }),
      inWorkspace(B, () => post()),
    ]);
    expect(seen.sort()).toEqual(['Bearer xoxb-team-a', 'Bearer xoxb-team-b']);
  });

  it('keeps the settings token outside any workspace, and an explicit token always', async () => {
    const client = createSlackClient({ token: 'xoxb-settings', apiUrl: `${BASE}/api/`, logger, retries: 0 });
    await client.chat.postMessage({ channel: 'C1', text: 'hi' });
    await inWorkspace(A, () => client.chat.postMessage({ channel: 'C1', text: 'hi', token: 'xoxb-own' }));
    expect(seen).toEqual(['Bearer xoxb-settings', 'Bearer xoxb-own']);
  });

  it("reads the bot's identity from the workspace, and refuses to guess without one", async () => {
    const fallback = { teamId: 'T0', botUserId: 'U0', botId: 'B0' };
    expect(inWorkspace(B, () => scopedIdentity(fallback).botUserId)).toBe('UBOTB');
    expect(scopedIdentity(fallback).botUserId).toBe('U0');
    expect(() => scopedIdentity().botUserId).toThrow(/no workspace/);
  });

  it('drops the work of a workspace with no installation, and looks installations up once a while', async () => {
    const lookups: string[] = [];
    let t = 0;
    const installed = new Map([['TA', A]]);
    const workspaces = cachedWorkspaces(
      async (teamId) => {
        lookups.push(teamId);
        return installed.get(teamId);
      },
      () => t,
    );
    let ran = 0;
    const run = async () => {
      ran++;
      return 'done';
    };
    expect(await inWorkspaceOf({ workspaces, logger }, { teamId: 'TA' }, run)).toBe('done');
    // An answer job names its team in its request.
    const team = async () => scopedIdentity().teamId;
    expect(await inWorkspaceOf({ workspaces, logger }, { request: { teamId: 'TA' } }, team)).toBe('TA');
    expect(lookups).toEqual(['TA']);
    installed.delete('TA');
    workspaces.forget('TA');
    expect(await inWorkspaceOf({ workspaces, logger }, { teamId: 'TA' }, run)).toBeUndefined();
    expect(ran).toBe(1);
    await expect(runInWorkspace(workspaces, 'TB', run)).rejects.toBeInstanceOf(WorkspaceGone);
    t += 60_000;
    installed.set('TA', A);
    expect(await inWorkspaceOf({ workspaces, logger }, { teamId: 'TA' }, run)).toBe('done');
  });
});
