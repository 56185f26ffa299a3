import { randomBytes, randomUUID } from 'node:crypto';
import { nowSeconds } from './signing.js';

/** The bodies Slack sends an app: event envelopes, message events, slash commands, block actions. */

export interface Workspace {
  teamId: string;
  teamDomain: string;
  apiAppId: string;
  botUserId: string;
}

export const channelType = (channel: string): 'im' | 'mpim' | 'group' | 'channel' =>
  channel.startsWith('D') ? 'im' : channel.startsWith('G') ? 'group' : 'channel';

export const newEventId = () => `Ev${randomBytes(6).toString('hex').toUpperCase()}`;

/** Slack's rich_text rendering of a plain message, `<@U…>` mentions as user elements. */
export const richText = (text: string): unknown[] => {
  const elements: unknown[] = [];
  for (const part of text.split(/(<@[A-Z0-9]+>)/)) {
    const user = /^<@([A-Z0-9]+)>$/.exec(part)?.[1];
    if (user) elements.push({ type: 'user', user_id: user });
    else if (part) elements.push({ type: 'text', text: part });
  }
  return [
    {
      type: 'rich_text',
      block_id: randomBytes(3).toString('base64url'),
      elements: [{ type: 'rich_text_section', elements }],
    },
  ];
};

/** An event wrapped in Slack's `event_callback` envelope. */
export const eventEnvelope = (w: Workspace, event: Record<string, unknown>, eventId: string) => ({
  token: 'legacy-verification-token',
  team_id: w.teamId,
  context_team_id: w.teamId,
  context_enterprise_id: null,
  api_app_id: w.apiAppId,
  event,
  type: 'event_callback',
  event_id: eventId,
  event_time: nowSeconds(),
  authorizations: [
    {
      enterprise_id: null,
      team_id: w.teamId,
      user_id: w.botUserId,
      is_bot: true,
      is_enterprise_install: false,
    },
  ],
  is_ext_shared_channel: false,
  event_context: `4-${randomBytes(12).toString('base64url')}`,
});

/** The fields a user's message shares with its `app_mention` twin. */
export const messageFields = (
  w: Workspace,
  o: { channel: string; user: string; text: string; ts: string; threadTs?: string | undefined },
) => ({
  user: o.user,
  text: o.text,
  ts: o.ts,
  event_ts: o.ts,
  channel: o.channel,
  team: w.teamId,
  client_msg_id: randomUUID(),
  blocks: richText(o.text),
  ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
});

/** A slash command, form-encoded as Slack posts it. */
export const commandBody = (
  w: Workspace,
  o: {
    text: string;
    user: string;
    channel: string;
    command: string;
    userName?: string | undefined;
    channelName?: string | undefined;
    responseUrl: string;
    triggerId: string;
  },
): string =>
  new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: w.teamId,
    team_domain: w.teamDomain,
    channel_id: o.channel,
    channel_name: o.channelName ?? (o.channel.startsWith('D') ? 'directmessage' : o.channel.toLowerCase()),
    user_id: o.user,
    user_name: o.userName ?? `user-${o.user.toLowerCase()}`,
    command: o.command,
    text: o.text,
    api_app_id: w.apiAppId,
    is_enterprise_install: 'false',
    response_url: o.responseUrl,
    trigger_id: o.triggerId,
  }).toString();

/** Who acted, in which workspace and app: the same in every interactivity payload (a click, a submitted view). */
export const interactionBase = (w: Workspace, o: { user: string; triggerId: string }) => ({
  user: {
    id: o.user,
    username: `user-${o.user.toLowerCase()}`,
    name: `user-${o.user.toLowerCase()}`,
    team_id: w.teamId,
  },
  api_app_id: w.apiAppId,
  token: 'legacy-verification-token',
  trigger_id: o.triggerId,
  team: { id: w.teamId, domain: w.teamDomain },
  enterprise: null,
  is_enterprise_install: false,
});

/** The part of a `block_actions` payload that does not depend on where the button was. */
export const blockActionBase = (
  w: Workspace,
  o: { user: string; triggerId: string; action: Record<string, unknown> },
) => ({
  type: 'block_actions',
  ...interactionBase(w, o),
  state: { values: {} },
  actions: [o.action],
});

/** A minimal valid `message` event body, for the negative tests (unsigned, stale, oversized…). */
export const sampleEventBody = (w: Workspace, text: string, ts: string): string =>
  JSON.stringify({
    token: 'legacy-verification-token',
    team_id: w.teamId,
    api_app_id: w.apiAppId,
    type: 'event_callback',
    event_id: newEventId(),
    event_time: nowSeconds(),
    event: {
      type: 'message',
      channel: 'C0NEGATIVE',
      channel_type: 'channel',
      user: 'U0NEGATIVE',
      text,
      ts,
    },
    authorizations: [{ team_id: w.teamId, user_id: w.botUserId, is_bot: true }],
  });

/** What a user views, for `app_context_changed` and the Messages tab's `app_home_opened`. */
export interface ViewingOptions {
  /** The channel in view. */
  channel?: string;
  /** With `channel`: the message in view (a `message_context` entity, as Slack sends for a thread). */
  messageTs?: string;
}

/** Slack's `context` object: entities, most relevant first; `{}` when nothing is in view. */
export const agentContext = (w: Workspace, v: ViewingOptions | undefined) => {
  if (!v?.channel) return {};
  const entity = v.messageTs
    ? { type: 'slack#/types/message_context', value: { channel_id: v.channel, message_ts: v.messageTs } }
    : { type: 'slack#/types/channel_id', value: v.channel };
  return { entities: [{ ...entity, team_id: w.teamId }] };
};
