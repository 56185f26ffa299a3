import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PolicyFileError,
  type PolicySource,
  readPolicyFile,
  watchPolicyFile,
} from '../../src/core/policy-file.js';
import { startBackchannel } from '../../src/main.js';

const dir = mkdtempSync(path.join(tmpdir(), 'policy-'));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
const problemsOf = (file: string): string[] => {
  try {
    readPolicyFile(file);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyFileError);
    expect((err as Error).message).toContain(file);
    return (err as PolicyFileError).problems;
  }
  throw new Error('expected the file to be refused');
};

let watched: PolicySource | undefined;
afterEach(() => watched?.stop());

describe('the policy file', () => {
  it('reads YAML as well as JSON', () => {
    const yaml = write(
      'p.yaml',
      'defaults:\n  respond: mention\nchannels:\n  C0456: { respond: "off" }\nallowedUsers: [U0AAA]\n',
    );
    expect(readPolicyFile(yaml)).toEqual({
      defaults: { respond: 'mention' },
      channels: { C0456: { respond: 'off' } },
      allowedUsers: ['U0AAA'],
    });
  });

  it('is refused naming the file and each problem’s path, never the values in it', () => {
    const file = write(
      'bad.json',
      JSON.stringify({
        defaults: { respond: 'sometimes-secret-word' },
        channels: { C0123: { model: 42 }, 'not-a-channel': {} },
        allowedUsers: ['U0AAA', 'alice'],
        respnd: 'off',
      }),
    );
    const problems = problemsOf(file);
    const text = problems.join('\n');
    expect(text).toContain('defaults.respond:');
    expect(text).toContain('channels.C0123.model:');
    expect(text).toContain('allowedUsers.[1]: must be a Slack user id');
    expect(text).toContain('unknown field(s) respnd');
    expect(text).not.toContain('sometimes-secret-word');
    expect(text).not.toContain('alice');
    expect(problemsOf(write('broken.json', '{ "defaults": '))).toEqual(['is not valid JSON or YAML']);
    expect(problemsOf(path.join(dir, 'missing.yaml'))).toEqual(['not found']);
  });

  it('picks up a change within seconds, and keeps the last good policy when a change is invalid', async () => {
    const file = write('live.json', JSON.stringify({ defaults: { respond: 'thread' } }));
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    watched = watchPolicyFile(file, logger, 100);
    let changes = 0;
    watched.onChange(() => changes++);
    writeFileSync(file, JSON.stringify({ defaults: { respond: 'mention' } }));
    await expect.poll(() => watched?.current()?.defaults?.respond, { timeout: 5000 }).toBe('mention');
    writeFileSync(file, JSON.stringify({ defaults: { respond: 'loud' } }));
    await expect
      .poll(() => lines.some((l) => l.includes('keeping the last good policy')), { timeout: 5000 })
      .toBe(true);
    expect(watched.current()?.defaults?.respond).toBe('mention');
    expect(changes).toBe(1);
  });

  it('stops the bot from starting when it is invalid, naming the file', async () => {
    const file = write('start.yaml', 'defaults:\n  respond: loud\n');
    await expect(
      startBackchannel({
        env: { SLACK_BOT_TOKEN: 'xoxb-t', SLACK_SIGNING_SECRET: 's', POLICY_FILE: file },
        logger: pino({ level: 'silent' }),
      }),
    ).rejects.toThrow(`POLICY_FILE ${file} is invalid:\n  defaults.respond:`);
  });
});
