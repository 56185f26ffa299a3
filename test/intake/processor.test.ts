import { DelayedError } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import type { AcceptedRequest } from '../../src/core/domain.js';
import { createIntakeProcessor, type IntakeJob } from '../../src/intake/processor.js';
import {
  type ActionJob,
  type FeedbackJob,
  QUEUES,
  type SessionStoppedJob,
} from '../../src/queue/registry.js';
import { TurnPending } from '../../src/sessions/thread-lock.js';

const request = (over: Partial<AcceptedRequest> = {}): AcceptedRequest => ({
  id: 'T1:C1:1.0',
  source: 'mention',
  teamId: 'T1',
  channelId: 'C1',
  userId: 'U1',
  text: 'what is a monad?',
  ts: '1.0',
  isDm: false,
  receivedAt: 1,
  ...over,
});
const command = (c: AcceptedRequest['command']) =>
  request({ id: 'T1:cmd:1', source: 'command', responseUrl: 'https://hooks.slack.test/r', command: c });

const job = (name: string, data: unknown, over: Partial<IntakeJob> = {}): IntakeJob => ({
  name,
  data,
  attemptsMade: 0,
  stalledCounter: 0,
  moveToDelayed: vi.fn(async () => {}),
  ...over,
});

const setup = () => {
  const deps = {
    handler: { handle: vi.fn(async (_request: AcceptedRequest, _opts?: { rerun?: boolean }) => {}) },
    overview: { opened: vi.fn(async () => {}) },
    actions: vi.fn(async (_job: ActionJob) => {}),
    commands: { sessions: vi.fn(async () => {}), cancel: vi.fn(async () => {}) },
    messagesTab: { opened: vi.fn(async () => {}), contextChanged: vi.fn(async () => {}) },
    feedback: vi.fn(async (_job: FeedbackJob) => {}),
    sessionStop: { stop: vi.fn(async (_job: SessionStoppedJob) => {}) },
    teamPurge: { purge: vi.fn(async (_teamId: string) => {}) },
  };
  return { deps, process: createIntakeProcessor(deps) };
};

describe('the intake processor', () => {
  it('hands a user’s request to the request handler, as a first run', async () => {
    const { deps, process } = setup();
    await process(job(QUEUES.intake.job, request()));
    expect(deps.handler.handle).toHaveBeenCalledWith(request(), { rerun: false });
    expect(deps.overview.opened).not.toHaveBeenCalled();
  });

  it('tells the handler a request is a re-run after a failed attempt or a stall', async () => {
    const { deps, process } = setup();
    await process(job(QUEUES.intake.job, request(), { attemptsMade: 1 }));
    await process(job(QUEUES.intake.job, request(), { stalledCounter: 1 }));
    expect(deps.handler.handle.mock.calls.map((c) => c[1])).toEqual([{ rerun: true }, { rerun: true }]);
  });

  it('gives /ask sessions and /ask cancel to the overview, and an /ask question to the handler', async () => {
    const { deps, process } = setup();
    await process(job(QUEUES.intake.job, command({ action: 'sessions' })));
    await process(job(QUEUES.intake.job, command({ action: 'cancel' })));
    await process(job(QUEUES.intake.job, command({ action: 'ask', question: 'why?' })));
    expect(deps.commands.sessions).toHaveBeenCalledWith(command({ action: 'sessions' }));
    expect(deps.commands.cancel).toHaveBeenCalledWith(command({ action: 'cancel' }));
    expect(deps.handler.handle).toHaveBeenCalledTimes(1);
    expect(deps.handler.handle).toHaveBeenCalledWith(command({ action: 'ask', question: 'why?' }), {
      rerun: false,
    });
  });

  it('publishes the Home tab of the user who opened it', async () => {
    const { deps, process } = setup();
    await process(job(QUEUES.intake.homeOpened.job, { teamId: 'T1', userId: 'U9' }));
    expect(deps.overview.opened).toHaveBeenCalledWith('T1', 'U9');
    expect(deps.handler.handle).not.toHaveBeenCalled();
  });

  it('hands the Messages tab and context changes to the Messages tab, parsed', async () => {
    const { deps, process } = setup();
    const viewing = { channelId: 'C7', messageTs: '1.5' };
    await process(
      job(QUEUES.intake.messagesOpened.job, { teamId: 'T1', userId: 'U9', channelId: 'D9', viewing }),
    );
    await process(job(QUEUES.intake.contextChanged.job, { teamId: 'T1', userId: 'U9' }));
    expect(deps.messagesTab.opened).toHaveBeenCalledWith({
      teamId: 'T1',
      userId: 'U9',
      channelId: 'D9',
      viewing,
    });
    expect(deps.messagesTab.contextChanged).toHaveBeenCalledWith({ teamId: 'T1', userId: 'U9' });
    await expect(process(job(QUEUES.intake.contextChanged.job, { teamId: 'T1' }))).rejects.toThrow();
    expect(deps.handler.handle).not.toHaveBeenCalled();
  });

  it('hands a button click to the overview’s actions, parsed', async () => {
    const { deps, process } = setup();
    const click: ActionJob = {
      teamId: 'T1',
      userId: 'U1',
      actionId: 'bc_cancel',
      value: 'T1:C1:1.0',
      container: 'view',
    };
    await process(job(QUEUES.intake.action.job, click));
    expect(deps.actions).toHaveBeenCalledWith(click);
  });

  it('hands a stop click to the session stop, parsed, and nothing else', async () => {
    const { deps, process } = setup();
    const stop = { teamId: 'T1', channelId: 'C1', threadTs: '1.0', userId: 'U1', streamingTs: ['1.5'] };
    await process(job(QUEUES.intake.sessionStopped.job, stop));
    expect(deps.sessionStop.stop).toHaveBeenCalledWith(stop);
    expect(deps.handler.handle).not.toHaveBeenCalled();
    await expect(process(job(QUEUES.intake.sessionStopped.job, { teamId: 'T1' }))).rejects.toThrow();
  });

  it('hands an uninstalled team to the purge, and nothing else', async () => {
    const { deps, process } = setup();
    const data = { teamId: 'T2', reason: 'app_uninstalled' };
    await process(job(QUEUES.intake.teamUninstalled.job, data));
    expect(deps.teamPurge.purge).toHaveBeenCalledWith('T2', 0);
    expect(deps.handler.handle).not.toHaveBeenCalled();
  });

  it('refuses a payload its job name’s schema does not accept, and runs nothing', async () => {
    const { deps, process } = setup();
    await expect(process(job(QUEUES.intake.homeOpened.job, { teamId: 'T1' }))).rejects.toThrow();
    await expect(process(job(QUEUES.intake.job, { id: 'x' }))).rejects.toThrow();
    expect(deps.overview.opened).not.toHaveBeenCalled();
    expect(deps.handler.handle).not.toHaveBeenCalled();
  });

  it('puts a request whose thread is busy back in the queue, delayed, instead of holding a slot', async () => {
    const { deps, process } = setup();
    deps.handler.handle.mockRejectedValueOnce(new TurnPending(500, 1));
    const busy = job(QUEUES.intake.job, request());
    const before = Date.now();
    await expect(process(busy, 'token-1')).rejects.toBeInstanceOf(DelayedError);
    expect(busy.moveToDelayed).toHaveBeenCalledWith(expect.any(Number), 'token-1');
    const [until] = vi.mocked(busy.moveToDelayed).mock.calls[0] ?? [];
    expect(until).toBeGreaterThanOrEqual(before + 500);
  });
});
