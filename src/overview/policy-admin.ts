import type { WebClient } from '@slack/web-api';
import type { Logger } from '../core/logger.js';
import {
  describeChanges,
  POLICY_FIELDS,
  type PolicyField,
  type PolicySettings,
  policySettingsSchema,
  RESPOND_MODES,
} from '../core/policy.js';
import {
  ADMIN_AUDIT_SHOWN,
  buildAdminSection,
  buildPolicyModal,
  INHERIT,
  type PlaceView,
} from '../out/views/policy-admin.js';
import type { WorkspaceAdmins } from '../out/workspace-admins.js';
import type { PolicyJob } from '../queue/registry.js';
import type { AdminAudit } from '../sessions/admin-audit.js';
import type { PolicyStore } from '../sessions/policy-store.js';
import type { HomeSection } from './home-sections.js';

export interface PolicyAdminDeps {
  policy: Pick<PolicyStore, 'resolve' | 'overview' | 'editsOf' | 'setEdits'>;
  admins: Pick<WorkspaceAdmins, 'isAdmin'>;
  audit: Pick<AdminAudit, 'record' | 'recent'>;
  client: Pick<WebClient, 'views' | 'chat'>;
  /** Re-publishes a user's Home tab (the admin's, after an edit). */
  publish: (teamId: string, userId: string) => Promise<void>;
  logger: Logger;
}

const notAdminText = 'Only workspace admins and owners can change where and how I answer.';

/** The modal's choices as settings: `inherit` (or nothing) leaves a field out. */
const toSettings = (v: Extract<PolicyJob, { type: 'submit' }>['values']): PolicySettings => {
  const yes = (s: string | undefined) => (s === 'yes' ? true : s === 'no' ? false : undefined);
  const respond = RESPOND_MODES.find((m) => m === v.respond);
  const raw = {
    respond,
    model: v.model && v.model !== INHERIT ? v.model : undefined,
    systemPrompt: v.systemPrompt?.trim() || undefined,
    background: yes(v.background),
    private: yes(v.private),
  };
  const clean = Object.fromEntries(Object.entries(raw).filter(([, x]) => x !== undefined));
  return policySettingsSchema.parse(clean);
};

/**
 * The Home tab's Admin section (workspace admins and owners only) and its edits: the modal opened
 * from its buttons, and its submission, re-checked here (the submitter must be an admin; locked
 * fields and models off the list are dropped), stored, audited, and announced to every process.
 */
export const createPolicyAdmin = (deps: PolicyAdminDeps) => {
  const log = deps.logger.child({ component: 'policy-admin' });

  const placeView = async (teamId: string, channelId: string | undefined, locked: Set<PolicyField>) => {
    const p = await deps.policy.resolve(teamId, channelId);
    const view: PlaceView = {
      effective: {
        respond: p.respond,
        model: p.model,
        background: p.background,
        private: p.private,
        systemPrompt: p.systemPrompt,
      },
      locked,
      ...(channelId ? { channelId } : {}),
    };
    return view;
  };

  const section: HomeSection = {
    place: 'bottom',
    async build({ teamId, userId }) {
      if (!(await deps.admins.isAdmin(teamId, userId))) return [];
      const o = await deps.policy.overview(teamId);
      const channelIds = [
        ...new Set([...Object.keys(o.file.channels ?? {}), ...Object.keys(o.edits.channels)]),
      ];
      const [workspace, channels, audit] = await Promise.all([
        placeView(teamId, undefined, o.locked()),
        Promise.all(channelIds.sort().map((c) => placeView(teamId, c, o.locked(c)))),
        deps.audit.recent(teamId, ADMIN_AUDIT_SHOWN),
      ]);
      return buildAdminSection({ workspace, channels, audit });
    },
  };

  const refuse = async (job: PolicyJob) => {
    log.warn({ userId: job.userId, type: job.type }, 'policy edit by a non-admin refused');
    await deps.client.chat.postMessage({ channel: job.userId, text: notAdminText });
  };

  const open = async (job: Extract<PolicyJob, { type: 'open' }>) => {
    if (!job.triggerId) return;
    const o = await deps.policy.overview(job.teamId);
    const channelId = job.pickChannel ? undefined : job.channelId;
    const lockedFields = job.pickChannel ? new Set<PolicyField>(o.file.locked ?? []) : o.locked(channelId);
    const effective = await deps.policy.resolve(job.teamId, channelId);
    const locked = new Map<PolicyField, string>(
      [...lockedFields].map((f) => [f, String(effective[f])] as const),
    );
    const edits = job.pickChannel ? {} : await deps.policy.editsOf(job.teamId, channelId);
    await deps.client.views.open({
      trigger_id: job.triggerId,
      view: buildPolicyModal({
        ...(channelId ? { channelId } : {}),
        pickChannel: job.pickChannel,
        edits,
        locked,
        models: o.models,
      }),
    });
  };

  const submit = async (job: Extract<PolicyJob, { type: 'submit' }>) => {
    const { teamId, userId, channelId } = job;
    const o = await deps.policy.overview(teamId);
    const locked = o.locked(channelId);
    const wanted = toSettings(job.values);
    const before = await deps.policy.editsOf(teamId, channelId);
    // Locked fields keep what they had (the modal showed them read-only); models must be listed.
    const after: PolicySettings = {};
    for (const f of POLICY_FIELDS) {
      const v = locked.has(f) ? before[f] : wanted[f];
      if (f === 'model' && v !== undefined && !o.models.includes(String(v))) continue;
      if (v !== undefined) Object.assign(after, { [f]: v });
    }
    const changes = describeChanges(before, after);
    if (changes.length === 0) return;
    await deps.policy.setEdits(teamId, channelId, after);
    const place = channelId ?? 'workspace';
    for (const change of changes) await deps.audit.record(teamId, userId, `${place} ${change}`);
    log.info({ userId, channelId, changes: changes.length }, 'policy edited');
    await deps.publish(teamId, userId);
  };

  return {
    section,
    /** An intake job of kind `policy`. */
    async handle(job: PolicyJob): Promise<void> {
      if (!(await deps.admins.isAdmin(job.teamId, job.userId))) return refuse(job);
      if (job.type === 'open') return open(job);
      return submit(job);
    },
  };
};

export type PolicyAdmin = ReturnType<typeof createPolicyAdmin>;
