import type { ChildProcess } from 'node:child_process';

/** A child's output as log lines: pino's JSON parsed, and waiting for a line that matches. */

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** The line as written. */
  raw: string;
  /** Pino's numeric level (30 info, 40 warn, 50 error…), when the line was JSON. */
  level?: number;
  msg?: string;
  /** Every field of the JSON line (empty when the line was not JSON). */
  fields: Record<string, unknown>;
}

export type LogMatcher = string | RegExp | ((line: LogLine) => boolean);

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const matches = (m: LogMatcher, line: LogLine): boolean =>
  typeof m === 'function' ? m(line) : typeof m === 'string' ? line.raw.includes(m) : m.test(line.raw);

const parseLine = (stream: LogLine['stream'], raw: string): LogLine => {
  try {
    const fields: unknown = JSON.parse(raw);
    if (typeof fields === 'object' && fields !== null && !Array.isArray(fields)) {
      const f = fields as Record<string, unknown>;
      return {
        stream,
        raw,
        fields: f,
        ...(typeof f.level === 'number' ? { level: f.level } : {}),
        ...(typeof f.msg === 'string' ? { msg: f.msg } : {}),
      };
    }
  } catch {
    // not JSON: a stack trace, a Node warning…
  }
  return { stream, raw, fields: {} };
};

/** Reads the child's stdout and stderr line by line from now on. */
export const collectLogs = (child: ChildProcess, exited: Promise<ExitInfo>) => {
  const lines: LogLine[] = [];
  let output = '';
  const listeners = new Set<(line: LogLine) => void>();

  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    child[stream]?.setEncoding('utf8');
    child[stream]?.on('data', (data: string) => {
      output += data;
      partial += data;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const raw of parts) {
        if (raw.trim() === '') continue;
        const line = parseLine(stream, raw);
        lines.push(line);
        for (const l of [...listeners]) l(line);
      }
    });
  }

  /** Resolves with the first log line (past or future) matching; rejects on timeout or exit. */
  const waitForLog = (match: LogMatcher, timeoutMs = 10_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const found = lines.find((l) => matches(match, l));
      if (found) return resolve(found);
      const onLine = (line: LogLine) => {
        if (!matches(match, line)) return;
        done();
        resolve(line);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no log line matching ${String(match)} within ${timeoutMs} ms. Output:\n${output}`));
      }, timeoutMs);
      void exited.then((info) => {
        if (!listeners.has(onLine)) return;
        done();
        reject(
          new Error(
            `process exited (${info.code ?? info.signal}) before logging ${String(match)}:\n${output}`,
          ),
        );
      });
      const done = () => {
        clearTimeout(timer);
        listeners.delete(onLine);
      };
      listeners.add(onLine);
    });

  return { lines: () => [...lines], output: () => output, waitForLog };
};
