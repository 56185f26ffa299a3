import { randomBytes } from 'node:crypto';
import type { SlackApiStandin } from '../slack/index.js';
import { blockActionBase, type Workspace } from './payloads.js';

/** A button click's `block_actions` payload, on a message or on the Home tab, as Slack builds it. */

export interface BlockActionOptions {
  user: string;
  actionId: string;
  value?: string;
  blockId?: string;
  label?: string;
  container?: 'message' | 'view';
  channel?: string;
  messageTs?: string;
  threadTs?: string;
  viewId?: string;
}

/** On the Home tab: the view as the stand-in last published it for the user. */
const onHomeTab = (slack: SlackApiStandin | undefined, o: BlockActionOptions) => {
  const view = slack?.homeView(o.user);
  const viewId = o.viewId ?? view?.id ?? 'V0HOME';
  return {
    payload: {
      container: { type: 'view', view_id: viewId },
      view: view ?? { id: viewId, type: 'home', blocks: [] },
    },
    responseUrl: undefined,
  };
};

/** On a message: the message as the stand-in holds it, and a response_url minted there. */
export const onMessage = (w: Workspace, slack: SlackApiStandin | undefined, o: BlockActionOptions) => {
  if (!o.channel || !o.messageTs) throw new Error('blockAction on a message needs channel and messageTs');
  const stored = slack?.message(o.channel, o.messageTs);
  const {
    channel: _c,
    stream: _s,
    ...message
  } = stored ?? { channel: '', type: 'message', ts: o.messageTs, text: '' };
  const responseUrl =
    slack?.mintResponseUrl({ channel: o.channel, user: o.user }).url ??
    `https://hooks.slack.com/actions/${w.teamId}/0/${randomBytes(8).toString('hex')}`;
  const threadTs = o.threadTs ?? (stored?.thread_ts !== stored?.ts ? stored?.thread_ts : undefined);
  return {
    payload: {
      container: {
        type: 'message',
        message_ts: o.messageTs,
        channel_id: o.channel,
        is_ephemeral: false,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      },
      channel: { id: o.channel, name: o.channel.toLowerCase() },
      message,
      response_url: responseUrl,
    },
    responseUrl,
  };
};

export const blockActionPayload = (
  w: Workspace,
  slack: SlackApiStandin | undefined,
  o: BlockActionOptions,
  ids: { triggerId: string; actionTs: string },
): { payload: Record<string, unknown>; responseUrl: string | undefined } => {
  const action = {
    action_id: o.actionId,
    block_id: o.blockId ?? randomBytes(3).toString('base64url'),
    text: { type: 'plain_text', text: o.label ?? o.actionId, emoji: true },
    ...(o.value !== undefined ? { value: o.value } : {}),
    type: 'button',
    action_ts: ids.actionTs,
  };
  const base = blockActionBase(w, { user: o.user, triggerId: ids.triggerId, action });
  const where = o.container === 'view' ? onHomeTab(slack, o) : onMessage(w, slack, o);
  return { payload: { ...base, ...where.payload }, responseUrl: where.responseUrl };
};
