import pino from 'pino';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { Claims } from '../../src/intake/claims.js';
import { createIntake } from '../../src/intake/intake.js';
import { type ActionJob, type HomeOpenedJob, type IntakeWork, QUEUES } from '../../src/queue/registry.js';

const setup = () => {
  const claims: Claims = {
    claim: vi.fn(async () => 'new' as const),
    confirm: vi.fn(async () => {}),
    release: vi.fn(async () => {}),
  } as unknown as Claims;
  const queue = { add: vi.fn(async () => ({}) as never) };
  return { queue, intake: createIntake({ claims, queue, logger: pino({ level: 'silent' }) }) };
};

describe('the intake producer', () => {
  it('writes each kind of work under its registry job name, as the processor’s schema reads it back', async () => {
    const { queue, intake } = setup();
    const opened: HomeOpenedJob = { teamId: 'T1', userId: 'U1' };
    const click: ActionJob = {
      teamId: 'T1',
      userId: 'U1',
      actionId: 'bc_retry',
      value: 'r1',
      container: 'view',
    };
    await intake.acceptWork('homeOpened', 'T1:home:Ev1', opened, ['evt:Ev1']);
    await intake.acceptWork('action', 'T1:act:1', click, ['act:1']);
    const calls = queue.add.mock.calls as unknown as [string, unknown][];
    const [homeName, homeData] = calls[0] ?? [];
    const [actionName, actionData] = calls[1] ?? [];
    expect(homeName).toBe(QUEUES.intake.homeOpened.job);
    expect(QUEUES.intake.homeOpened.schema.parse(homeData)).toEqual(opened);
    expect(actionName).toBe(QUEUES.intake.action.job);
    expect(QUEUES.intake.action.schema.parse(actionData)).toEqual(click);
  });

  it('takes, for each kind, exactly the type its schema gives the consumer', () => {
    const { intake } = setup();
    expectTypeOf<IntakeWork['homeOpened']>().toEqualTypeOf<HomeOpenedJob>();
    expectTypeOf<IntakeWork['action']>().toEqualTypeOf<ActionJob>();
    expectTypeOf(intake.acceptWork<'homeOpened'>)
      .parameter(2)
      .toEqualTypeOf<HomeOpenedJob>();
    // A payload the consumer's schema would refuse does not compile.
    const wrong = () => {
      // @ts-expect-error: a Home-opened job needs the user
      void intake.acceptWork('homeOpened', 'id', { teamId: 'T1' }, []);
      // @ts-expect-error: a click is not a Home-opened job
      void intake.acceptWork('action', 'id', { teamId: 'T1', userId: 'U1' }, []);
    };
    expect(wrong).toBeTypeOf('function');
  });
});
