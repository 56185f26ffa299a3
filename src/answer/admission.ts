import type { AcceptedRequest } from '../core/domain.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { EffectivePolicy } from '../core/policy.js';
import type { Usergroups } from '../out/usergroups.js';
import type { Keys } from '../sessions/keys.js';
import type { PolicyStore } from '../sessions/policy-store.js';

/** `respond: off` says so once per user per channel per day. */
export const OFF_NOTICE_SECONDS = 86_400;

export type Admission =
  /** Answer, with these settings. */
  | { verdict: 'answer'; policy: EffectivePolicy }
  /** Not answered; the requester is told privately. */
  | { verdict: 'refuse'; text: string; why: string }
  /** Not answered, silently. */
  | { verdict: 'ignore'; why: string };

export interface AdmissionDeps {
  policy: Pick<PolicyStore, 'resolve'>;
  usergroups: Pick<Usergroups, 'members'>;
  /** SET NX with expiry: the once-a-day notice of `respond: off`. */
  redis: { set(key: string, value: string, ex: 'EX', seconds: number, nx: 'NX'): Promise<'OK' | null> };
  keys: Pick<Keys, 'policyOffNotice'>;
  logger: Logger;
}

const where = (r: AcceptedRequest) => (r.isDm ? 'in direct messages' : `in <#${r.channelId}>`);

/**
 * Whether a request is answered, and with what settings: the workspace's and channel's policy
 * (allowlists, respond mode), checked once per request before anything is posted. DMs and the
 * Messages tab follow the workspace-level policy; `allowedChannels` does not apply to them.
 */
export const createAdmission = (deps: AdmissionDeps) => {
  const log = deps.logger.child({ component: 'admission' });

  const userAllowed = async (p: EffectivePolicy, r: AcceptedRequest): Promise<boolean> => {
    if (!p.allowedUsers && !p.allowedUserGroups) return true;
    if (p.allowedUsers?.includes(r.userId)) return true;
    for (const group of p.allowedUserGroups ?? []) {
      try {
        if ((await deps.usergroups.members(r.teamId, group)).includes(r.userId)) return true;
      } catch (err) {
        // Closed when unsure: a user group Slack cannot list admits nobody through it.
        log.warn({ group, err: errorFields(err) }, 'user group could not be listed');
      }
    }
    return false;
  };

  return async (r: AcceptedRequest): Promise<Admission> => {
    const policy = await deps.policy.resolve(r.teamId, r.isDm ? undefined : r.channelId);
    const ask = `Ask ${policy.contact} if you need it.`;
    if (!(await userAllowed(policy, r)))
      return {
        verdict: 'refuse',
        why: 'user not allowed',
        text: `Sorry, I'm only answering some people in this workspace, and you're not on the list. ${ask}`,
      };
    if (!r.isDm && policy.allowedChannels && !policy.allowedChannels.includes(r.channelId))
      return {
        verdict: 'refuse',
        why: 'channel not allowed',
        text: `Sorry, I don't answer ${where(r)}. ${ask}`,
      };
    if (policy.respond === 'off') {
      const key = deps.keys.policyOffNotice(r.teamId, r.channelId, r.userId);
      const first = (await deps.redis.set(key, '1', 'EX', OFF_NOTICE_SECONDS, 'NX')) === 'OK';
      return first
        ? {
            verdict: 'refuse',
            why: 'respond off',
            text: `I've been turned off ${where(r)}, so I won't answer here. ${ask}`,
          }
        : { verdict: 'ignore', why: 'respond off (already told today)' };
    }
    // `mention`: a thread the bot followed is not a conversation with it; mentions, DMs and /ask are.
    if (policy.respond === 'mention' && r.source === 'thread_reply')
      return { verdict: 'ignore', why: 'respond mention: thread reply without a mention' };
    return { verdict: 'answer', policy };
  };
};

export type Admit = ReturnType<typeof createAdmission>;
