import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createRequestHandler, type RequestHandlerDeps } from '../../src/answer/handle-request.js';
import type { AcceptedRequest } from '../../src/core/domain.js';
import { USAGE } from '../../src/core/usage.js';

/** A handler whose every dependency fails the test if used, but for the private reply. */
const setup = () => {
  const unused = new Proxy({}, { get: (_t, name) => expect.unreachable(`used ${String(name)}`) });
  const respond = vi.fn(async (_url: string, _body: Record<string, unknown>) => {});
  const deps = {
    config: unused,
    client: unused,
    poster: { respond },
    context: unused,
    foreground: unused,
    enqueuer: unused,
    history: unused,
    followed: unused,
    threadLocks: unused,
    requests: unused,
    rateLimiter: unused,
    metrics: unused,
    logger: pino({ level: 'silent' }),
  } as unknown as RequestHandlerDeps;
  return { respond, handler: createRequestHandler(deps) };
};

const command: AcceptedRequest = {
  id: 'T1:cmd:1',
  source: 'command',
  teamId: 'T1',
  channelId: 'C1',
  userId: 'U1',
  text: 'what is a monad?',
  isDm: false,
  responseUrl: 'https://hooks.slack.test/commands/1',
  receivedAt: 1,
};

describe('an /ask the request handler cannot act on', () => {
  it('written before commands carried their parsed action: gets the usage, privately, and nothing else', async () => {
    const { respond, handler } = setup();
    await handler.handle(command);
    expect(respond).toHaveBeenCalledWith(command.responseUrl, { response_type: 'ephemeral', text: USAGE });
  });

  it('a sessions or cancel command that reached it: the same, never an answer', async () => {
    const { respond, handler } = setup();
    await handler.handle({ ...command, command: { action: 'sessions' } });
    await handler.handle({ ...command, command: { action: 'cancel' } });
    expect(respond).toHaveBeenCalledTimes(2);
  });
});
