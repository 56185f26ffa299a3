import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { RequestRecord } from '../../src/core/request-types.js';
import { ACTION_IDS, encodeActionValue } from '../../src/out/views/actions.js';
import { createOverviewActions } from '../../src/overview/actions.js';
import type { ActionJob } from '../../src/queue/registry.js';

const record = {
  id: 'T1:C1:1.0',
  teamId: 'T1',
  userId: 'UOWNER',
  channelId: 'C1',
  threadTs: '1.0',
  state: 'failed',
} as RequestRecord;

const setup = () => {
  const deps = {
    overview: {
      publish: vi.fn(async () => {}),
      sessionsMessage: vi.fn(async () => ({ text: '', blocks: [] })),
    },
    client: { chat: { postMessage: vi.fn(async () => ({})) }, views: { open: vi.fn(async () => ({})) } },
    requests: {
      get: vi.fn(async (id: string) => (id === record.id ? record : undefined)),
      takeUnread: vi.fn(),
      getResult: vi.fn(),
    },
    prefs: { setDmOnResult: vi.fn(async () => {}) },
    identity: {},
    logger: pino({ level: 'silent' }),
    cancel: vi.fn(async () => ({ ok: false, why: 'not_active' }) as const),
    retry: vi.fn(async () => 'queued' as const),
    respond: vi.fn(async () => {}),
  };
  return { deps, act: createOverviewActions(deps as never) };
};
const click = (actionId: (typeof ACTION_IDS)['cancel' | 'retry'], userId: string): ActionJob => ({
  teamId: 'T1',
  userId,
  actionId,
  value: encodeActionValue(actionId, record.id),
  responseUrl: 'https://hooks.slack.test/actions/1',
  container: 'message',
});

describe('the overview’s buttons', () => {
  it('refuse Cancel and Retry on someone else’s request, privately, and do nothing', async () => {
    const { deps, act } = setup();
    await act(click(ACTION_IDS.cancel, 'UOTHER'));
    await act(click(ACTION_IDS.retry, 'UOTHER'));
    expect(deps.cancel).not.toHaveBeenCalled();
    expect(deps.retry).not.toHaveBeenCalled();
    expect(deps.respond.mock.calls.map((c) => (c as unknown[])[1])).toEqual([
      {
        response_type: 'ephemeral',
        replace_original: false,
        text: "That request isn't yours, so I can't do that.",
      },
      {
        response_type: 'ephemeral',
        replace_original: false,
        text: "That request isn't yours, so I can't do that.",
      },
    ]);
  });

  it('run Retry for the owner, and say so when there was nothing to cancel', async () => {
    const { deps, act } = setup();
    await act(click(ACTION_IDS.retry, 'UOWNER'));
    await act(click(ACTION_IDS.cancel, 'UOWNER'));
    expect(deps.retry).toHaveBeenCalledWith(record);
    expect(deps.cancel).toHaveBeenCalledWith(record.id, 'UOWNER');
    expect(deps.respond).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(deps.respond.mock.calls[0])).toContain('no longer queued or running');
  });
});
