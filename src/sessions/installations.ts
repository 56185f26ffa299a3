import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type { Redis } from 'ioredis';
import { AppError } from '../core/errors.js';
import type { TokenCrypto } from '../core/token-crypto.js';
import type { Keys } from './keys.js';

/** No installation covers the team (never installed, or uninstalled): its events are not ours to answer. */
export class NotInstalledError extends Error {
  readonly code = 'not_installed';
  constructor(what: string) {
    super(`no installation for ${what}`);
    this.name = 'NotInstalledError';
  }
}

export const isNotInstalled = (err: unknown): boolean =>
  err instanceof NotInstalledError ||
  (typeof err === 'object' && err !== null && isNotInstalled(Reflect.get(err, 'original')));

export interface InstallationStoreDeps {
  redis: Pick<Redis, 'get' | 'set' | 'del'>;
  keys: Pick<Keys, 'installation' | 'enterpriseInstallation'>;
  crypto: Pick<TokenCrypto, 'encrypt' | 'decrypt'>;
}

type AnyInstallation = Installation<'v1' | 'v2', boolean>;

/**
 * Bolt's InstallationStore in Redis: one key per workspace, and one per org for org-wide (Enterprise
 * Grid) installs. The whole Installation is encrypted (tokens, refresh tokens, user tokens and all),
 * and written again, with the current key, whenever Bolt stores it: at install, and after every
 * token refresh. Installations never expire: an uninstall deletes them.
 */
export const createInstallationStore = ({
  redis,
  keys,
  crypto,
}: InstallationStoreDeps): InstallationStore & {
  deleteInstallation(query: InstallationQuery<boolean>): Promise<void>;
} => {
  const keyOf = (q: { isEnterpriseInstall?: boolean; enterpriseId?: string; teamId?: string }) => {
    if (q.isEnterpriseInstall && q.enterpriseId) return keys.enterpriseInstallation(q.enterpriseId);
    if (q.teamId) return keys.installation(q.teamId);
    return undefined;
  };
  const read = async (key: string): Promise<AnyInstallation | undefined> => {
    // Redis down while Bolt authorizes an event: a 5xx, so Slack redelivers it (edge/app.ts).
    const sealed = await redis.get(key).catch((cause: unknown) => {
      throw new AppError('redis_unavailable', 'could not read the installation', { cause, retryable: true });
    });
    return sealed === null ? undefined : (JSON.parse(crypto.decrypt(sealed)) as AnyInstallation);
  };

  return {
    async storeInstallation(installation) {
      const key = keyOf({
        isEnterpriseInstall: installation.isEnterpriseInstall === true,
        ...(installation.enterprise?.id ? { enterpriseId: installation.enterprise.id } : {}),
        ...(installation.team?.id ? { teamId: installation.team.id } : {}),
      });
      if (!key) throw new Error('an installation without a team or an enterprise id cannot be stored');
      await redis.set(key, crypto.encrypt(JSON.stringify(installation)));
    },

    /** The team's own installation first, else the org-wide one that covers it. */
    async fetchInstallation(query) {
      const own = query.isEnterpriseInstall ? undefined : query.teamId;
      const found =
        (own ? await read(keys.installation(own)) : undefined) ??
        (query.enterpriseId ? await read(keys.enterpriseInstallation(query.enterpriseId)) : undefined);
      if (!found) throw new NotInstalledError(query.teamId ?? query.enterpriseId ?? 'an unnamed team');
      return found;
    },

    async deleteInstallation(query) {
      const key = keyOf(query);
      if (key) await redis.del(key);
    },
  };
};

export type InstallationRedisStore = ReturnType<typeof createInstallationStore>;
