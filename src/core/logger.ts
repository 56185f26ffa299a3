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

/**
 * Lines Bolt, its Socket Mode client and its WebClient log at debug level with whole payloads in
 * them, as strings out of reach of pino's redaction: every Socket Mode envelope (users' message
 * text), ack bodies, request and response bodies. They keep their first words and lose the rest.
 * From @slack/socket-mode 2.0 (`SocketModeClient`), @slack/bolt 4 (`SocketModeResponseAck`,
 * `HTTPResponseAck`, `App` developer mode) and @slack/web-api 7.
 */
const PAYLOAD_LINES: RegExp[] = [
  /^(Received a message on the WebSocket):/,
  /^(Unable to parse an incoming WebSocket message)/,
  /^(Calling ack\(\) - type: [^,]*, envelope_id: [^,]*), data:/,
  /^(Sending a WebSocket message):/,
  /^(ack\(\) (?:call begins|response sent|response stored)) \(body:/,
  /^(Error details): /,
  /^(http request (?:body|result|headers)):/,
  /^()\{/,
];

export const withoutPayload = (line: string): string => {
  for (const re of PAYLOAD_LINES) {
    const m = re.exec(line);
    if (m) return `${m[1]} [payload omitted]`.trimStart();
  }
  return line;
};

/** Adapter so Bolt and the WebClient log through pino. */
export const toBoltLogger = (log: Logger, name = 'slack'): BoltLogger => {
  const child = log.child({ component: name });
  const line = (msg: unknown[]) => withoutPayload(msg.map(String).join(' '));
  return {
    debug: (...msg: unknown[]) => child.debug(line(msg)),
    info: (...msg: unknown[]) => child.info(line(msg)),
    warn: (...msg: unknown[]) => child.warn(line(msg)),
    error: (...msg: unknown[]) => child.error(line(msg)),
    setLevel: () => {},
    getLevel: () => boltLevel[log.level] ?? LogLevel.INFO,
    setName: () => {},
  };
};
