import { readFileSync, type Stats, unwatchFile, watchFile } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { errorFields } from './errors.js';
import type { Logger } from './logger.js';
import { type PolicyFile, policyFileSchema } from './policy.js';

/** A policy file that cannot be used: names the file and where in it, never what it holds. */
export class PolicyFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`POLICY_FILE ${file} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'PolicyFileError';
  }
}

const pathOf = (issue: z.core.$ZodIssue) =>
  issue.path.length
    ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.')
    : '(top)';

/** zod's messages for these codes name the expected shape, never the input. */
const describe = (issue: z.core.$ZodIssue): string => {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_key') return 'has an invalid id as a key';
  return issue.message;
};

/** JSON or YAML: by extension, else by content (JSON is YAML too, so YAML reads either). */
const parseText = (file: string, text: string): unknown => {
  if (/\.json$/i.test(file)) return JSON.parse(text);
  return parseYaml(text);
};

/** Reads and validates the policy file; throws PolicyFileError. */
export const readPolicyFile = (file: string): PolicyFile => {
  let raw: unknown;
  try {
    raw = parseText(file, readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new PolicyFileError(file, [
      code === 'ENOENT' ? 'not found' : code ? `cannot be read (${code})` : 'is not valid JSON or YAML',
    ]);
  }
  const parsed = policyFileSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  throw new PolicyFileError(
    file,
    parsed.error.issues.slice(0, 20).map((i) => `${pathOf(i)}: ${describe(i)}`),
  );
};

export interface PolicySource {
  /** The last good policy file (undefined without POLICY_FILE). */
  current(): PolicyFile | undefined;
  /** Called after each good change. */
  onChange(fn: () => void): void;
  stop(): void;
}

/** A policy source without a file: no file policy at all. */
export const noPolicyFile: PolicySource = { current: () => undefined, onChange: () => {}, stop: () => {} };

/**
 * The policy file, read now (invalid: throws, and the process refuses to start) and again whenever
 * it changes. Polled (fs.watchFile, `intervalMs`): fs.watch misses editors that replace the file
 * and bind mounts of Kubernetes ConfigMaps. A change that is invalid keeps the last good policy,
 * logged as an error.
 */
export const watchPolicyFile = (file: string, logger: Logger, intervalMs = 1000): PolicySource => {
  let policy = readPolicyFile(file);
  const listeners: (() => void)[] = [];
  const log = logger.child({ component: 'policy-file' });
  const reload = () => {
    try {
      policy = readPolicyFile(file);
      log.info({ file }, 'policy file reloaded');
      for (const fn of listeners) fn();
    } catch (err) {
      const problems = err instanceof PolicyFileError ? err.problems : [errorFields(err).message];
      log.error({ file, problems }, 'policy file change is invalid; keeping the last good policy');
    }
  };
  const changed = (now: Stats, before: Stats) => {
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size || now.ino !== before.ino) reload();
  };
  watchFile(file, { interval: intervalMs, persistent: false }, changed);
  return {
    current: () => policy,
    onChange: (fn) => listeners.push(fn),
    stop: () => unwatchFile(file, changed),
  };
};
