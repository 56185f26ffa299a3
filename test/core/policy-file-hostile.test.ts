import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  POLICY_FILE_MAX_BYTES,
  PolicyFileError,
  type PolicySource,
  readPolicyFile,
  watchPolicyFile,
} from '../../src/core/policy-file.js';
import { until } from '../support/redis-state.js';

const dir = mkdtempSync(path.join(tmpdir(), 'policy-hostile-'));
let n = 0;
const write = (text: string, ext = 'yaml') => {
  const file = path.join(dir, `p${++n}.${ext}`);
  writeFileSync(file, text);
  return file;
};
const problemsOf = (file: string): string[] => {
  try {
    readPolicyFile(file);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyFileError);
    return (err as PolicyFileError).problems;
  }
  throw new Error('expected the file to be refused');
};
/** Many lines until the text is `bytes` long. */
const fill = (bytes: number, line: (i: number) => string) => {
  let text = '';
  for (let i = 0; text.length < bytes; i++) text += line(i);
  return text;
};

let watched: PolicySource | undefined;
afterEach(() => watched?.stop());

describe('a hostile policy file', () => {
  it('is refused unread when it is larger than the cap, YAML or JSON', () => {
    const big = fill(POLICY_FILE_MAX_BYTES + 1, (i) => `  - U${i}\n`);
    expect(problemsOf(write(`allowedUsers:\n${big}`))).toEqual(['is larger than 128 kB']);
    expect(problemsOf(write(JSON.stringify({ contact: 'x'.repeat(POLICY_FILE_MAX_BYTES) }), 'json'))).toEqual(
      ['is larger than 128 kB'],
    );
  });

  it('is refused, before the parser builds anything, when it is a web of anchors and aliases', () => {
    // Each alias costs the parser a search of every anchor: quadratic, seconds for 100 kB.
    const web = fill(100_000, (i) => `a${i}: &a${i} x\nb${i}: *a${i}\n`);
    expect(problemsOf(write(web))).toEqual(['has more than 100 anchors and aliases']);
    const laughs = `a: &a ["lol","lol"]\n${fill(20_000, (i) => `b${i}: &b${i} [*a, *a, *a, *a]\n`)}`;
    expect(problemsOf(write(laughs))).toEqual(['has more than 100 anchors and aliases']);
  });

  it('is refused when it nests deeper than 32 levels', () => {
    const deep = `defaults: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`;
    expect(problemsOf(write(deep))).toEqual(['nests deeper than 32 levels']);
  });

  it('names at most 5 of its unknown fields, however many there are', () => {
    const keys = fill(100_000, (i) => `k${i}: v\n`);
    expect(problemsOf(write(keys))).toEqual(['(top): unknown field(s) k0, k1, k2, k3, k4 and 11106 more']);
  });

  it('still reads a policy with a few anchors, and prompts with * and & in them', () => {
    const file = write(
      'defaults: &d\n  respond: mention\n  systemPrompt: "Use *bold* & _italics_ for R&D *questions*"\nteams:\n  T0A:\n    defaults: *d\n',
    );
    expect(readPolicyFile(file).teams?.T0A?.defaults?.respond).toBe('mention');
  });

  it('keeps being watched when the file is deleted and created again', async () => {
    const file = write('defaults: { respond: mention }\n');
    watched = watchPolicyFile(file, pino({ level: 'silent' }), 20);
    rmSync(file);
    // Polls that find no file change nothing.
    await new Promise((r) => setTimeout(r, 100));
    expect(watched.current()?.defaults?.respond).toBe('mention');
    writeFileSync(
      file,
      fill(POLICY_FILE_MAX_BYTES + 1, (i) => `k${i}: v\n`),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(watched.current()?.defaults?.respond).toBe('mention');
    writeFileSync(file, 'defaults: { respond: "off" }\n');
    await until(async () => watched?.current()?.defaults?.respond === 'off', 5_000);
  });
});
