import { LogLevel, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '../core/logger.js';
import { MISSING_STOP_SUBSCRIPTION } from './agent-session.js';

/**
 * Our pino logger as the Slack SDKs' `Logger` (`@slack/logger`, which Bolt, the WebClient and the
 * Socket Mode client share). Those SDKs log whole payloads at debug level, as strings out of reach
 * of pino's redaction: every Socket Mode envelope (users' message text), ack bodies, request and
 * response bodies. Those lines keep their first words and lose the rest.
 */

/**
 * Lines that carry a payload, and the words each keeps. From @slack/socket-mode 2
 * (`SocketModeClient`), @slack/bolt 4 and 5 (`SocketModeResponseAck`, `HTTPResponseAck`, `App`
 * developer mode) and @slack/web-api 7 and 8 (`http request body|result|headers`).
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

const slackLevel: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.ERROR,
  silent: LogLevel.ERROR,
};

/** The SDK's lines go to a child logger named `component`; the level follows ours, not theirs. */
export const toSlackLogger = (log: Logger, component: string): SlackLogger => {
  const child = log.child({ component });
  const line = (msg: unknown[]) => withoutPayload(msg.map(String).join(' '));
  return {
    debug: (...msg: unknown[]) => child.debug(line(msg)),
    info: (...msg: unknown[]) => child.info(line(msg)),
    // The WebClient warns on every call whose answer carries a warning; agent-session.ts logs
    // this one once per workspace instead.
    warn: (...msg: unknown[]) => {
      const text = line(msg);
      if (text.includes(MISSING_STOP_SUBSCRIPTION)) child.debug(text);
      else child.warn(text);
    },
    error: (...msg: unknown[]) => child.error(line(msg)),
    setLevel: () => {},
    getLevel: () => slackLevel[log.level] ?? LogLevel.INFO,
    setName: () => {},
  };
};
