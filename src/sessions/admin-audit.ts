import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from './keys.js';

/** Entries kept per workspace: the newest, older ones dropped as new ones come. */
export const AUDIT_MAX_ENTRIES = 200;

const entrySchema = z.object({
  /** When (ms since the epoch). */
  at: z.number(),
  /** The admin who made the change (Slack user id). */
  by: z.string(),
  /** What changed, in words (plain text, no secrets): "C0123 respond: thread → mention". */
  what: z.string(),
});

export type AuditEntry = z.infer<typeof entrySchema>;

/**
 * The audit log of a workspace's settings: who changed what, when. Written by every admin edit
 * (channel policy, a user's token budget), shown in the Home tab's Admin section.
 */
export const createAdminAudit = (deps: { redis: Redis; keys: Pick<Keys, 'adminAudit'> }) => ({
  async record(teamId: string, by: string, what: string, at = Date.now()): Promise<void> {
    const key = deps.keys.adminAudit(teamId);
    await deps.redis
      .multi()
      .lpush(key, JSON.stringify({ at, by, what } satisfies AuditEntry))
      .ltrim(key, 0, AUDIT_MAX_ENTRIES - 1)
      .exec();
  },
  /** The newest entries first; an unreadable one is skipped. */
  async recent(teamId: string, count = 10): Promise<AuditEntry[]> {
    const raw = await deps.redis.lrange(deps.keys.adminAudit(teamId), 0, Math.max(0, count - 1));
    return raw.flatMap((r) => {
      try {
        const parsed = entrySchema.safeParse(JSON.parse(r));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
  },
});

export type AdminAudit = ReturnType<typeof createAdminAudit>;
