import type { types } from '@slack/bolt';
import {
  type PolicyField,
  type PolicySettings,
  RESPOND_MODES,
  type RespondMode,
  SYSTEM_PROMPT_MAX,
} from '../../core/policy.js';
import { inlineMrkdwn, mrkdwn, ownPlainText, plainText } from './escape.js';
import type { Block } from './session-row.js';

/** Ids of the Admin section's buttons and of its modal (prefix `bcp_`: the overview's are `bc_`). */
export const POLICY_IDS = Object.freeze({
  editWorkspace: 'bcp_edit_workspace',
  /** A new channel (picked in the modal), or a listed one (its id is the button's value). */
  editChannel: 'bcp_edit_channel',
  modal: 'bcp_policy',
  channelBlock: 'bcp_channel',
  channelInput: 'channel',
  respondBlock: 'bcp_respond',
  respondInput: 'respond',
  modelBlock: 'bcp_model',
  modelInput: 'model',
  promptBlock: 'bcp_prompt',
  promptInput: 'prompt',
  backgroundBlock: 'bcp_background',
  backgroundInput: 'background',
  privateBlock: 'bcp_private',
  privateInput: 'private',
});

/** The select value that leaves a field to the level below (the workspace, the file, the built-in). */
export const INHERIT = 'inherit';

/** Channels the section lists at most (each one block); the rest are counted. */
export const ADMIN_CHANNELS_SHOWN = 8;
export const ADMIN_AUDIT_SHOWN = 8;

const RESPOND_LABEL: Record<RespondMode, string> = {
  off: 'Off',
  mention: 'Only when mentioned',
  thread: 'Follow threads it answered in',
};

/** One place's settings as the Admin section shows them. */
export interface PlaceView {
  /** Undefined: the workspace's defaults. */
  channelId?: string;
  /** The effective settings there (core/policy.ts resolvePolicy), shown. */
  effective: Required<Omit<PolicySettings, 'systemPrompt'>> & { systemPrompt: string };
  /** Fields Home may not change there (set by the policy file). */
  locked: ReadonlySet<PolicyField>;
}

export interface AdminSectionData {
  workspace: PlaceView;
  channels: PlaceView[];
  audit: { at: number; by: string; what: string }[];
}

const summary = (p: PlaceView): string => {
  const e = p.effective;
  const mark = (f: PolicyField, text: string) => (p.locked.has(f) ? `${text} 🔒` : text);
  const prompt = inlineMrkdwn(e.systemPrompt, 80);
  return [
    mark('respond', `respond: *${RESPOND_LABEL[e.respond].toLowerCase()}*`),
    mark('model', `model: \`${inlineMrkdwn(e.model, 100)}\``),
    mark('background', `background: ${e.background ? 'allowed' : 'off'}`),
    mark('private', `answers: ${e.private ? 'private' : 'in the thread'}`),
    mark('systemPrompt', `prompt: _${prompt}_`),
  ].join(' · ');
};

const when = (at: number) =>
  `<!date^${Math.floor(at / 1000)}^{date_short} {time}|${new Date(at).toISOString()}>`;

/**
 * The Admin section of the Home tab (admins and owners only): the workspace's defaults, the
 * channels with settings (🔒: set by the policy file), the latest audit entries, and the buttons
 * that open the edit modal. At most 4 + ADMIN_CHANNELS_SHOWN + 1 blocks (13).
 */
export const buildAdminSection = (d: AdminSectionData): Block[] => {
  const shown = d.channels.slice(0, ADMIN_CHANNELS_SHOWN);
  const more = d.channels.length - shown.length;
  const audit = d.audit
    .slice(0, ADMIN_AUDIT_SHOWN)
    .map((a) => `${when(a.at)} <@${a.by}>: ${inlineMrkdwn(a.what, 200)}`)
    .join('\n');
  return [
    { type: 'header', text: ownPlainText('Admin: where and how I answer') },
    {
      type: 'section',
      text: mrkdwn(`*Workspace defaults* — ${summary(d.workspace)}`),
    },
    ...shown.map(
      (c): Block => ({
        type: 'section',
        text: mrkdwn(`<#${c.channelId}> — ${summary(c)}`),
        accessory: {
          type: 'button',
          action_id: `${POLICY_IDS.editChannel}:${c.channelId}`,
          text: ownPlainText('Edit'),
          value: c.channelId ?? '',
        },
      }),
    ),
    ...(more > 0 ? [{ type: 'context', elements: [mrkdwn(`…and ${more} more channels.`)] } as Block] : []),
    {
      type: 'context',
      elements: [
        mrkdwn(audit ? `*Latest changes*\n${audit}` : 'No changes made here yet. 🔒 set by the policy file.'),
      ],
    },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: POLICY_IDS.editWorkspace,
          text: ownPlainText('Edit workspace defaults'),
        },
        {
          type: 'button',
          action_id: POLICY_IDS.editChannel,
          text: ownPlainText('Edit a channel'),
          value: '',
        },
      ],
    },
  ];
};

export interface PolicyModalData {
  /** Undefined with `pickChannel`: the workspace's defaults. */
  channelId?: string;
  /** A new channel: chosen in the modal. */
  pickChannel: boolean;
  /** The place's Home edits (pre-filled). */
  edits: PolicySettings;
  /** The effective values of the locked fields, shown read-only. */
  locked: ReadonlyMap<PolicyField, string>;
  models: readonly string[];
}

const option = (value: string, label: string): types.PlainTextOption => ({
  text: ownPlainText(label, 75),
  value,
});
const userOption = (value: string): types.PlainTextOption => ({ text: plainText(value, 75), value });

const initial = (options: types.PlainTextOption[], value: string | undefined) =>
  options.find((o) => o.value === (value ?? INHERIT));

const select = (
  blockId: string,
  actionId: string,
  label: string,
  options: types.PlainTextOption[],
  value: string | undefined,
): Block => {
  const init = initial(options, value);
  return {
    type: 'input',
    block_id: blockId,
    optional: true,
    label: ownPlainText(label),
    element: {
      type: 'static_select',
      action_id: actionId,
      options,
      ...(init ? { initial_option: init } : {}),
    },
  };
};

const yesNo = (v: boolean | undefined) => (v === undefined ? undefined : v ? 'yes' : 'no');

/** The edit modal: a field the policy file locks shows read-only, with "set by the policy file". */
export const buildPolicyModal = (d: PolicyModalData): types.ModalView => {
  const e = d.edits;
  const inherit = option(INHERIT, d.channelId || d.pickChannel ? 'Workspace default' : 'Built-in default');
  const field = (f: PolicyField, build: () => Block): Block => {
    const lockedValue = d.locked.get(f);
    return lockedValue === undefined
      ? build()
      : {
          type: 'section',
          block_id: `bcp_locked_${f}`,
          text: mrkdwn(`*${f}*: ${inlineMrkdwn(lockedValue, 300)} — _set by the policy file_`),
        };
  };
  const blocks: Block[] = [
    d.pickChannel
      ? {
          type: 'input',
          block_id: POLICY_IDS.channelBlock,
          label: ownPlainText('Channel'),
          element: { type: 'conversations_select', action_id: POLICY_IDS.channelInput },
        }
      : {
          type: 'section',
          text: mrkdwn(d.channelId ? `Settings for <#${d.channelId}>` : 'Settings for the whole workspace'),
        },
    field('respond', () =>
      select(
        POLICY_IDS.respondBlock,
        POLICY_IDS.respondInput,
        'Respond',
        [inherit, ...RESPOND_MODES.map((m) => option(m, RESPOND_LABEL[m]))],
        e.respond,
      ),
    ),
    field('model', () =>
      select(
        POLICY_IDS.modelBlock,
        POLICY_IDS.modelInput,
        'Model',
        [inherit, ...d.models.slice(0, 99).map(userOption)],
        e.model,
      ),
    ),
    field('systemPrompt', () => ({
      type: 'input',
      block_id: POLICY_IDS.promptBlock,
      optional: true,
      label: ownPlainText('System prompt (empty: the default)'),
      element: {
        type: 'plain_text_input',
        action_id: POLICY_IDS.promptInput,
        multiline: true,
        max_length: SYSTEM_PROMPT_MAX,
        ...(e.systemPrompt ? { initial_value: e.systemPrompt } : {}),
      },
    })),
    field('background', () =>
      select(
        POLICY_IDS.backgroundBlock,
        POLICY_IDS.backgroundInput,
        'Background answers (`later`, long threads)',
        [inherit, option('yes', 'Allowed'), option('no', 'Not allowed')],
        yesNo(e.background),
      ),
    ),
    field('private', () =>
      select(
        POLICY_IDS.privateBlock,
        POLICY_IDS.privateInput,
        'Answer privately (only the asker sees the answer)',
        [inherit, option('yes', 'Private'), option('no', 'In the thread')],
        yesNo(e.private),
      ),
    ),
  ];
  return {
    type: 'modal',
    callback_id: POLICY_IDS.modal,
    private_metadata: d.pickChannel ? 'channel' : (d.channelId ?? 'workspace'),
    title: ownPlainText(d.channelId || d.pickChannel ? 'Channel settings' : 'Workspace defaults', 24),
    submit: ownPlainText('Save'),
    close: ownPlainText('Cancel'),
    blocks,
  };
};
