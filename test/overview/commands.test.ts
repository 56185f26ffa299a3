import { describe, expect, it, vi } from 'vitest';
import type { AcceptedRequest } from '../../src/core/domain.js';
import type { RequestRecord } from '../../src/core/request-types.js';
import { createOverviewCommands } from '../../src/overview/commands.js';
import type { CancelOutcome } from '../../src/queue/cancel.js';

const RESPONSE_URL = 'https://hooks.slack.test/commands/1';
const request: AcceptedRequest = {
  id: 'T1:cmd:1',
  source: 'command',
  teamId: 'T1',
  channelId: 'C1',
  userId: 'U1',
  text: 'cancel',
  isDm: false,
  responseUrl: RESPONSE_URL,
  command: { action: 'cancel' },
  receivedAt: 1,
};
const record = { id: 'T1:C1:1.0', title: 'summarise the roadmap' } as RequestRecord;

const setup = (outcome: CancelOutcome = { ok: false, why: 'not_active' }) => {
  const deps = {
    canceller: { cancelNewest: vi.fn(async () => outcome) },
    overview: { sessionsMessage: vi.fn(async () => ({ text: 'Your sessions', blocks: [] })) },
    respond: vi.fn(async (_url: string, _body: Record<string, unknown>) => {}),
  };
  return { deps, commands: createOverviewCommands(deps) };
};

describe('/ask cancel', () => {
  it('cancels the asking user’s newest request and tells only them what became of it', async () => {
    const { deps, commands } = setup({ ok: true, how: 'removed', record });
    await commands.cancel(request);
    expect(deps.canceller.cancelNewest).toHaveBeenCalledWith('T1', 'U1');
    expect(deps.respond).toHaveBeenCalledWith(RESPONSE_URL, {
      response_type: 'ephemeral',
      text: 'Cancelled your queued request “summarise the roadmap”.',
    });
  });

  it('says so when there is nothing to cancel', async () => {
    const { deps, commands } = setup();
    await commands.cancel(request);
    expect(deps.respond.mock.calls[0]?.[1]).toMatchObject({
      response_type: 'ephemeral',
      text: 'You have nothing queued or running to cancel.',
    });
  });
});

describe('/ask sessions', () => {
  it('answers privately with the asking user’s own list', async () => {
    const { deps, commands } = setup();
    await commands.sessions({ ...request, command: { action: 'sessions' } });
    expect(deps.overview.sessionsMessage).toHaveBeenCalledWith('T1', 'U1');
    expect(deps.respond).toHaveBeenCalledWith(RESPONSE_URL, {
      response_type: 'ephemeral',
      text: 'Your sessions',
      blocks: [],
    });
  });

  it('posts nothing when the command came without a response_url', async () => {
    const { deps, commands } = setup();
    const { responseUrl: _url, ...withoutUrl } = request;
    await commands.sessions(withoutUrl);
    await commands.cancel(withoutUrl);
    expect(deps.respond).not.toHaveBeenCalled();
  });
});
