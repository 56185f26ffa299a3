import { readFileSync, type Stats, statSync } from 'node:fs';
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
 * it changes. Polled (a stat every `intervalMs`, compared with the stat of the last read): fs.watch
 * misses editors that replace the file and Kubernetes ConfigMap updates, and fs.watchFile's own
 * first stat comes later than our read, so a change in between would go unseen. A change that is
 * invalid keeps the last good policy, logged as an error.
 */
export const watchPolicyFile = (file: string, logger: Logger, intervalMs = 1000): PolicySource => {
  const statOf = (): Stats | undefined => {
    try {
      return statSync(file);
    } catch {
      return undefined;
    }
  };
  let seen = statOf();
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
  const poll = setInterval(() => {
    const now = statOf();
    if (!now) return;
    if (seen && now.mtimeMs === seen.mtimeMs && now.size === seen.size && now.ino === seen.ino) return;
    seen = now;
    reload();
  }, intervalMs);
  poll.unref();
  return {
    current: () => policy,
    onChange: (fn) => listeners.push(fn),
    stop: () => clearInterval(poll),
  };
};
