import type { z } from 'zod';
import type { Logger } from '../../../core/logger.js';
import type { Metrics } from '../../../core/metrics.js';
import type { Intake } from '../../../intake/intake.js';
import type { IntakeWork, IntakeWorkKind } from '../../../queue/registry.js';
import { eventEnvelopeSchema, receivingTeam } from '../../payloads.js';

export interface EventDeps {
  intake: Pick<Intake, 'acceptWork'>;
  logger: Logger;
  metrics: Pick<Metrics, 'requests'>;
}

interface ReadEvent<T> {
  e: T;
  teamId: string;
  eventId: string;
}

/** An event the listener cannot act on: logged and counted, acknowledged all the same. */
export const rejectEvent = (deps: Pick<EventDeps, 'logger' | 'metrics'>, type: string, fields?: string[]) => {
  deps.logger.warn({ fields }, `malformed ${type} ignored`);
  deps.metrics.requests.inc({ kind: 'event', outcome: 'rejected' });
};

/**
 * An event parsed with `schema`, with the workspace that received it and its event id; undefined
 * (logged and counted) when the edge cannot read it. The caller acknowledges it either way: a
 * redelivery would be as unreadable.
 */
export const readEvent = <T>(
  deps: Pick<EventDeps, 'logger' | 'metrics'>,
  schema: z.ZodType<T>,
  event: unknown,
  body: unknown,
  type: string,
): ReadEvent<T> | undefined => {
  const env = eventEnvelopeSchema.safeParse(body);
  const parsed = schema.safeParse(event);
  const teamId = env.success ? receivingTeam(env.data) : undefined;
  if (env.success && parsed.success && teamId) return { e: parsed.data, teamId, eventId: env.data.event_id };
  const issues = (parsed.error ?? env.error)?.issues;
  rejectEvent(deps, type, issues?.map((i) => i.path.join('.')).slice(0, 5));
  return undefined;
};

/**
 * Writes an event as intake work (`<team>:<tag>:<event id>`, deduplicated by its event id) and
 * counts the outcome. Throws when Redis is down: Bolt then answers 5xx and Slack redelivers.
 */
export const storeEvent = async <K extends IntakeWorkKind>(
  deps: EventDeps,
  kind: K,
  tag: string,
  { teamId, eventId }: { teamId: string; eventId: string },
  data: IntakeWork[K],
): Promise<void> => {
  const result = await deps.intake.acceptWork(kind, `${teamId}:${tag}:${eventId}`, data, `evt:${eventId}`);
  deps.metrics.requests.inc({ kind: 'event', outcome: result });
};
