import { z } from 'zod';

/**
 * Where and how the bot answers, per workspace and per channel: the policy file's format (zod) and
 * the one resolution of every source into the settings a request is answered with. Pure.
 *
 * Precedence, lowest first: the built-in settings (SYSTEM_PROMPT, OPENAI_MODEL) < the file's
 * `defaults` < Home edits for the workspace < Home edits for the channel < the file's
 * `channels.<id>` (a field the file sets for a channel is locked there). A field named in the
 * file's `locked` takes the file's value everywhere. Allowlists and the contact come from the file
 * only.
 */

export const RESPOND_MODES = ['off', 'mention', 'thread'] as const;
export type RespondMode = (typeof RESPOND_MODES)[number];

/** The settings Home can edit and the file can set, per workspace and per channel. */
export const POLICY_FIELDS = ['respond', 'systemPrompt', 'model', 'background', 'private'] as const;
export type PolicyField = (typeof POLICY_FIELDS)[number];

/** Slack caps a modal's plain_text_input at 3,000 characters; the file keeps to the same. */
export const SYSTEM_PROMPT_MAX = 3000;

export const DEFAULT_CONTACT = 'a workspace admin';

const userId = z.string().regex(/^[UW][A-Z0-9]+$/, 'must be a Slack user id (U…)');
const channelId = z.string().regex(/^[CGD][A-Z0-9]+$/, 'must be a Slack channel id (C…)');
const groupId = z.string().regex(/^S[A-Z0-9]+$/, 'must be a Slack user group id (S…)');
const teamId = z.string().regex(/^[TE][A-Z0-9]+$/, 'must be a Slack workspace id (T…)');

export const policySettingsSchema = z
  .object({
    respond: z.enum(RESPOND_MODES),
    systemPrompt: z.string().trim().min(1).max(SYSTEM_PROMPT_MAX),
    model: z.string().trim().min(1).max(100),
    background: z.boolean(),
    private: z.boolean(),
  })
  .partial()
  .strict();
export type PolicySettings = z.infer<typeof policySettingsSchema>;

/** What the file says for one workspace (or, at the top level, for every workspace). */
const workspaceFileSchema = z
  .object({
    defaults: policySettingsSchema.optional(),
    /** Unknown channel ids are fine: a channel may be created later, or belong to another workspace. */
    channels: z.record(channelId, policySettingsSchema).optional(),
    /** The models Home may choose from (with `defaults.model` and any model the file names). */
    models: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
    /** Fields locked everywhere to the file's value: Home shows them read-only. */
    locked: z.array(z.enum(POLICY_FIELDS)).optional(),
    /** Who may use the bot (absent: everyone): listed users, and members of the listed user groups. */
    allowedUsers: z.array(userId).optional(),
    allowedUserGroups: z.array(groupId).optional(),
    /** The channels it may answer in (absent: every channel). DMs are governed by the user lists. */
    allowedChannels: z.array(channelId).optional(),
    /** Who to ask, named in refusals: `<@U0ADMIN>` or text. */
    contact: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
type WorkspaceFile = z.infer<typeof workspaceFileSchema>;

export const policyFileSchema = workspaceFileSchema
  .extend({ teams: z.record(teamId, workspaceFileSchema).optional() })
  .strict();
export type PolicyFile = z.infer<typeof policyFileSchema>;

/** Home edits of one workspace: its defaults, and each channel's. */
export interface PolicyEdits {
  workspace: PolicySettings;
  channels: Record<string, PolicySettings>;
}

export const NO_EDITS: PolicyEdits = { workspace: {}, channels: {} };

export interface BuiltInSettings {
  systemPrompt: string;
  model: string;
}

export interface EffectivePolicy {
  respond: RespondMode;
  systemPrompt: string;
  model: string;
  background: boolean;
  private: boolean;
  allowedUsers?: readonly string[];
  allowedUserGroups?: readonly string[];
  allowedChannels?: readonly string[];
  contact: string;
}

/** The file as it applies to one workspace: top-level fields, then its `teams.<id>` on top. */
export const fileForTeam = (file: PolicyFile | undefined, team: string): WorkspaceFile => {
  if (!file) return {};
  const { teams, ...common } = file;
  const own = teams?.[team] ?? {};
  const channels: Record<string, PolicySettings> = { ...common.channels };
  for (const [id, s] of Object.entries(own.channels ?? {})) channels[id] = { ...channels[id], ...s };
  return {
    ...common,
    ...own,
    defaults: { ...common.defaults, ...own.defaults },
    channels,
    ...(common.locked || own.locked
      ? { locked: [...new Set([...(common.locked ?? []), ...(own.locked ?? [])])] }
      : {}),
  };
};

/** The models Home may choose from in a workspace, the built-in one first when nothing is listed. */
export const allowedModels = (wf: WorkspaceFile, builtIn: BuiltInSettings): string[] => {
  const named = [wf.defaults?.model, ...Object.values(wf.channels ?? {}).map((c) => c.model)];
  return [...new Set([...(wf.models ?? [builtIn.model]), ...named.filter((m): m is string => !!m)])];
};

/** Fields Home may not edit at this scope (the channel's own file fields, and `locked`). */
export const lockedFields = (wf: WorkspaceFile, channel?: string): Set<PolicyField> => {
  const locked = new Set<PolicyField>(wf.locked ?? []);
  const own = channel ? wf.channels?.[channel] : undefined;
  for (const f of POLICY_FIELDS) if (own?.[f] !== undefined) locked.add(f);
  return locked;
};

/** A Home edit that the file no longer allows (a model taken off the list) is dropped. */
const usable = (edit: PolicySettings, models: readonly string[]): PolicySettings => {
  const { model, ...rest } = edit;
  return model !== undefined && models.includes(model) ? { ...rest, model } : rest;
};

const defined = (s: PolicySettings): PolicySettings =>
  Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as PolicySettings;

/**
 * The settings one request is answered with. `channel` undefined (a DM, the Messages tab): the
 * workspace-level policy.
 */
export const resolvePolicy = (input: {
  builtIn: BuiltInSettings;
  file: PolicyFile | undefined;
  edits: PolicyEdits;
  teamId: string;
  channelId?: string | undefined;
}): EffectivePolicy => {
  const wf = fileForTeam(input.file, input.teamId);
  const models = allowedModels(wf, input.builtIn);
  const ch = input.channelId;
  const fileChannel = ch ? (wf.channels?.[ch] ?? {}) : {};
  const base = { respond: 'thread' as const, background: true, private: false, ...input.builtIn };
  const merged = {
    ...base,
    ...defined(wf.defaults ?? {}),
    ...defined(usable(input.edits.workspace, models)),
    ...defined(usable(ch ? (input.edits.channels[ch] ?? {}) : {}, models)),
    ...defined(fileChannel),
  };
  // Locked everywhere: the file's own value for this place (its channel entry, else its defaults).
  const fromFile = { ...base, ...defined(wf.defaults ?? {}), ...defined(fileChannel) };
  for (const f of wf.locked ?? []) Object.assign(merged, { [f]: fromFile[f] });
  return {
    respond: merged.respond,
    systemPrompt: merged.systemPrompt,
    model: merged.model,
    background: merged.background,
    private: merged.private,
    ...(wf.allowedUsers ? { allowedUsers: wf.allowedUsers } : {}),
    ...(wf.allowedUserGroups ? { allowedUserGroups: wf.allowedUserGroups } : {}),
    ...(wf.allowedChannels ? { allowedChannels: wf.allowedChannels } : {}),
    contact: wf.contact ?? DEFAULT_CONTACT,
  };
};

/** "respond: thread → mention" lines for the audit log, one per changed field. */
export const describeChanges = (before: PolicySettings, after: PolicySettings): string[] =>
  POLICY_FIELDS.flatMap((f) => {
    const a = before[f];
    const b = after[f];
    if (a === b) return [];
    const show = (v: unknown) =>
      v === undefined ? '(default)' : f === 'systemPrompt' ? `“${String(v).slice(0, 40)}…”` : String(v);
    return [`${f}: ${show(a)} → ${show(b)}`];
  });
