import type { Redis } from 'ioredis';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import {
  allowedModels,
  type BuiltInSettings,
  type EffectivePolicy,
  fileForTeam,
  lockedFields,
  NO_EDITS,
  type PolicyEdits,
  type PolicyField,
  type PolicySettings,
  policySettingsSchema,
  resolvePolicy,
} from '../core/policy.js';
import type { PolicySource } from '../core/policy-file.js';
import type { Keys } from './keys.js';

/** The hash field of a workspace's own defaults (channel ids never start with `*`). */
const WORKSPACE = '*';

/**
 * The safety net under pub/sub: a process that missed an announcement (its subscriber was
 * reconnecting) re-reads a workspace's edits at most this long after they changed.
 */
export const POLICY_CACHE_MS = 2000;

export interface PolicyStoreDeps {
  redis: Redis;
  /** A connection of its own: a subscribed client does nothing else. */
  subscriber: Redis;
  keys: Pick<Keys, 'policyEdits' | 'policyChannel'>;
  file: PolicySource;
  builtIn: BuiltInSettings;
  logger: Logger;
  cacheMs?: number;
}

const parseSettings = (raw: string): PolicySettings => {
  try {
    const parsed = policySettingsSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
};

/**
 * The policy of every request: the policy file (watched) and the Home edits (Redis), resolved
 * (core/policy.ts). Edits are cached per workspace in each process; an edit through any process is
 * announced on one pub/sub channel and every process drops that workspace's cache at once, with a
 * short expiry as the safety net.
 */
export const createPolicyStore = (deps: PolicyStoreDeps) => {
  const channel = deps.keys.policyChannel();
  const ttl = deps.cacheMs ?? POLICY_CACHE_MS;
  const cache = new Map<string, { at: number; edits: Promise<PolicyEdits> }>();
  deps.subscriber.on('message', (from: string, teamId: string) => {
    if (from === channel) cache.delete(teamId);
  });

  const load = async (teamId: string): Promise<PolicyEdits> => {
    const all = await deps.redis.hgetall(deps.keys.policyEdits(teamId));
    const edits: PolicyEdits = { workspace: {}, channels: {} };
    for (const [field, raw] of Object.entries(all)) {
      if (field === WORKSPACE) edits.workspace = parseSettings(raw);
      else edits.channels[field] = parseSettings(raw);
    }
    return edits;
  };

  const edits = (teamId: string): Promise<PolicyEdits> => {
    const hit = cache.get(teamId);
    if (hit && Date.now() - hit.at < ttl) return hit.edits;
    const fresh = load(teamId);
    cache.set(teamId, { at: Date.now(), edits: fresh });
    // A failed read is not cached: the next request tries again.
    fresh.catch(() => cache.delete(teamId));
    return fresh;
  };

  const resolve = async (teamId: string, channelId?: string): Promise<EffectivePolicy> =>
    resolvePolicy({
      builtIn: deps.builtIn,
      file: deps.file.current(),
      edits: await edits(teamId).catch((err: unknown) => {
        deps.logger.warn({ teamId, err: errorFields(err) }, 'policy edits unreadable; using the file alone');
        return NO_EDITS;
      }),
      teamId,
      channelId,
    });

  return {
    start: () => deps.subscriber.subscribe(channel),
    /** The settings a request in `channelId` (undefined: a DM) is answered with. */
    resolve,
    /** What the Admin section shows and edits: the file's part, and the Home edits. */
    async overview(teamId: string) {
      const wf = fileForTeam(deps.file.current(), teamId);
      return {
        file: wf,
        edits: await load(teamId),
        models: allowedModels(wf, deps.builtIn),
        locked: (channelId?: string): Set<PolicyField> => lockedFields(wf, channelId),
      };
    },
    /** Home edits of one place (`undefined`: the workspace's defaults), uncached. */
    async editsOf(teamId: string, channelId?: string): Promise<PolicySettings> {
      const raw = await deps.redis.hget(deps.keys.policyEdits(teamId), channelId ?? WORKSPACE);
      return raw ? parseSettings(raw) : {};
    },
    /** Stores a place's Home edits (an empty one removes them) and tells every process. */
    async setEdits(teamId: string, channelId: string | undefined, settings: PolicySettings): Promise<void> {
      const key = deps.keys.policyEdits(teamId);
      const field = channelId ?? WORKSPACE;
      if (Object.keys(settings).length === 0) await deps.redis.hdel(key, field);
      else await deps.redis.hset(key, field, JSON.stringify(settings));
      cache.delete(teamId);
      await deps.redis.publish(channel, teamId);
    },
  };
};

export type PolicyStore = ReturnType<typeof createPolicyStore>;
