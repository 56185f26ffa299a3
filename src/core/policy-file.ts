import { readFileSync, type Stats, statSync } from 'node:fs';
import { Lexer, parse as parseYaml } from 'yaml';
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
  if (issue.code === 'unrecognized_keys') {
    const more = issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : '';
    return `unknown field(s) ${issue.keys.slice(0, 5).join(', ')}${more}`;
  }
  if (issue.code === 'invalid_key') return 'has an invalid id as a key';
  return issue.message;
};

/**
 * Bounds on what is parsed, all in the file's own process and on its event loop: the `yaml`
 * parser's time grows with the square of a map's keys and of the file's anchors and aliases (a
 * 256 kB file of flat keys or of `&a`/`*a` pairs takes seconds), and deep flow nesting
 * (`[[[[…`) costs seconds before it overflows the stack. 128 kB holds over a thousand channels.
 */
export const POLICY_FILE_MAX_BYTES = 128 * 1024;
const MAX_FLOW_DEPTH = 32;
const MAX_ANCHORS_AND_ALIASES = 100;

/**
 * What makes a YAML text too costly to parse, found by the lexer (linear, no data built): flow
 * nesting deeper than MAX_FLOW_DEPTH, or more than MAX_ANCHORS_AND_ALIASES anchors and aliases.
 */
const yamlTooCostly = (text: string): string | undefined => {
  let depth = 0;
  let marks = 0;
  for (const token of new Lexer().lex(text)) {
    const c = token[0];
    if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_DEPTH) return `nests deeper than ${MAX_FLOW_DEPTH} levels`;
    } else if (c === ']' || c === '}') depth--;
    else if ((c === '&' || c === '*') && ++marks > MAX_ANCHORS_AND_ALIASES)
      return `has more than ${MAX_ANCHORS_AND_ALIASES} anchors and aliases`;
  }
  return undefined;
};

/** JSON or YAML: by extension, else by content (JSON is YAML too, so YAML reads either). */
const parseText = (file: string, text: string): unknown => {
  if (/\.json$/i.test(file)) return JSON.parse(text);
  const costly = yamlTooCostly(text);
  if (costly) throw new PolicyFileError(file, [costly]);
  // Duplicate keys: the last one wins, as in JSON.parse (yaml's check is quadratic in the keys).
  return parseYaml(text, { uniqueKeys: false });
};

/** Reads and validates the policy file; throws PolicyFileError. */
export const readPolicyFile = (file: string): PolicyFile => {
  let raw: unknown;
  try {
    // Sized before it is read: the read and the parse block this process.
    if (statSync(file).size > POLICY_FILE_MAX_BYTES)
      throw new PolicyFileError(file, [`is larger than ${POLICY_FILE_MAX_BYTES / 1024} kB`]);
    raw = parseText(file, readFileSync(file, 'utf8'));
  } catch (err) {
    if (err instanceof PolicyFileError) throw err;
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
