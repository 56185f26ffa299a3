import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { toSlackLogger } from '../../src/out/slack-logger.js';

describe('the Slack SDK logger adapter', () => {
  it('drops the payload of every Bolt and Socket Mode line that carries one, keeping what it was', () => {
    const lines: string[] = [];
    const log = toSlackLogger(pino({ level: 'debug' }, { write: (l: string) => lines.push(l) }), 'bolt');
    const secret = 'my private message';
    const envelope = JSON.stringify({ envelope_id: 'e1', payload: { event: { text: secret } } });
    log.debug(`Received a message on the WebSocket: ${envelope}`);
    log.debug(`Unable to parse an incoming WebSocket message (will ignore): SyntaxError, ${secret}`);
    log.debug(`Calling ack() - type: events_api, envelope_id: e1, data: {"text":"${secret}"}`);
    log.debug(`Sending a WebSocket message: {"envelope_id":"e1","payload":{"text":"${secret}"}}`);
    log.debug(`ack() call begins (body: {"text":"${secret}"})`);
    log.debug(`ack() response stored (body: {"text":"${secret}"})`);
    log.debug(`Error details: Error: ${secret}, storedResponse: undefined`);
    log.debug(`http request body: {"text":"${secret}"}`);
    log.debug(envelope);
    log.info('A plain line stays as it is');

    expect(lines.filter((l) => l.includes(secret))).toEqual([]);
    const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toContain('Received a message on the WebSocket [payload omitted]');
    expect(msgs).toContain('Calling ack() - type: events_api, envelope_id: e1 [payload omitted]');
    expect(msgs).toContain('A plain line stays as it is');
  });
});
