import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Paths whose values are never written: tokens, secrets, and message text (Slack users' words
 * and LLM answers stay out of logs).
 */
export const REDACT_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'apiKey',
  'password',
  'authorization',
  'headers.authorization',
  'headers["x-slack-signature"]',
  'text',
  'question',
  'answer',
  'content',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.apiKey',
  '*.password',
  '*.authorization',
  '*.text',
  '*.question',
  '*.answer',
  '*.content',
];

export const createLogger = (opts: { level: string; destination?: pino.DestinationStream }): Logger =>
  pino(
    {
      level: opts.level,
      base: { service: 'backchannel' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    opts.destination,
  );

const boltLevel: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.ERROR,
  silent: LogLevel.ERROR,
};

/** Adapter so Bolt and the WebClient log through pino. */
export const toBoltLogger = (log: Logger, name = 'slack'): BoltLogger => {
  const child = log.child({ component: name });
  return {
    debug: (...msg: unknown[]) => child.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error(msg.map(String).join(' ')),
    setLevel: () => {},
    getLevel: () => boltLevel[log.level] ?? LogLevel.INFO,
    setName: () => {},
  };
};
