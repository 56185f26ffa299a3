import type { App } from '@slack/bolt';
import type { z } from 'zod';
import { errorFields } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { Metrics } from '../../../core/metrics.js';
import type { Intake } from '../../../intake/intake.js';
import type { IntakeWork, IntakeWorkKind } from '../../../queue/registry.js';
import { interactionTeam } from '../../payloads.js';

export interface ClickDeps {
  intake: Pick<Intake, 'acceptWork'>;
  logger: Logger;
  metrics: Pick<Metrics, 'requests'>;
}

/** An interaction's intake id: the click's trigger (unique per click), else who clicked and when. */
const clickId = (
  teamId: string,
  tag: string,
  p: { trigger_id?: string | undefined; user: { id: string } },
  actionTs: string | undefined,
): string => `${teamId}:${tag}:${p.trigger_id ?? `${p.user.id}:${actionTs ?? Date.now()}`}`;

type Interaction = { team?: { id: string } | null; user: { id: string; team_id?: string | null } };
type ButtonClick = Interaction & {
  trigger_id?: string | undefined;
  response_url?: string | undefined;
  actions: { action_ts?: string | undefined }[];
};

/** What the worker may answer a click through: its trigger (to open a modal) and response_url. */
export const replyHandles = (p: ButtonClick) => ({
  ...(p.trigger_id ? { triggerId: p.trigger_id } : {}),
  ...(p.response_url ? { responseUrl: p.response_url } : {}),
});

/**
 * An interaction parsed with `schema`, and its workspace; undefined (logged and counted) when the
 * edge cannot read it. The caller acknowledges it either way.
 */
export const readClick = <T extends Interaction>(
  deps: ClickDeps,
  schema: z.ZodType<T>,
  body: unknown,
  what: string,
): { p: T; teamId: string } | undefined => {
  const parsed = schema.safeParse(body);
  const teamId = parsed.success ? interactionTeam(parsed.data) : undefined;
  if (parsed.success && teamId) return { p: parsed.data, teamId };
  deps.logger.warn({ issues: parsed.error?.issues.length }, `malformed ${what} ignored`);
  deps.metrics.requests.inc({ kind: 'action', outcome: 'rejected' });
  return undefined;
};

/**
 * Writes a click as intake work before the ack. Clicks are not redelivered: when the write fails
 * the ack goes out anyway (the user can click again), and the failure is logged and counted.
 * Resolves false then.
 */
export const storeClick = async <K extends IntakeWorkKind>(
  deps: ClickDeps,
  kind: K,
  id: string,
  data: IntakeWork[K],
): Promise<boolean> => {
  try {
    const result = await deps.intake.acceptWork(kind, id, data, `act:${id}`);
    deps.metrics.requests.inc({ kind: 'action', outcome: result });
    return true;
  } catch (err) {
    deps.logger.error({ err: errorFields(err), kind }, 'could not store a button click');
    deps.metrics.requests.inc({ kind: 'action', outcome: 'error' });
    return false;
  }
};

/**
 * A button listener: the click is read with `schema`, written as `kind` intake work (id
 * `<team>:<tag>:<trigger>`, data from `work`) and acknowledged, whether or not it could be read or
 * stored.
 */
export const registerClick = <T extends ButtonClick, K extends IntakeWorkKind>(
  app: App,
  deps: ClickDeps,
  o: {
    actionId: string | RegExp;
    schema: z.ZodType<T>;
    what: string;
    kind: K;
    tag: string;
    work: (p: T, teamId: string, action: T['actions'][number]) => IntakeWork[K];
  },
) =>
  app.action(o.actionId, async ({ ack, body }) => {
    const read = readClick(deps, o.schema, body, o.what);
    const action = read?.p.actions[0];
    if (read && action) {
      const id = clickId(read.teamId, o.tag, read.p, action.action_ts);
      await storeClick(deps, o.kind, id, o.work(read.p, read.teamId, action));
    }
    await ack();
  });
