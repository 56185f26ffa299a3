import { randomBytes } from 'node:crypto';
import { isObject } from '../http.js';
import type { SlackApiStandin } from '../slack/index.js';
import { feedbackButtonsOf } from '../slack/reading.js';
import type { Ephemeral, StoredView } from '../slack/types.js';
import { onMessage } from './actions.js';
import { blockActionBase, interactionBase, type Workspace } from './payloads.js';

/**
 * The interactions an AI app's answer gets, as Slack sends them: a click on its 👍/👎
 * (`feedback_buttons`, read from the message as the stand-in stores it), a button in an ephemeral
 * message, a submitted modal (`view_submission`), and a message shortcut (`message_action`).
 */

export interface FeedbackClickOptions {
  user: string;
  channel: string;
  messageTs: string;
  vote: 'positive' | 'negative';
  /** Send this value instead of the button's own (a forged click). */
  value?: string;
  /**
   * Click even when the message has no feedback buttons (Slack never sends that; a forger can), with
   * Slack's usual action id unless `actionId` says otherwise.
   */
  force?: boolean;
  actionId?: string;
}

/** The `block_actions` payload of a click on a stored message's 👍 or 👎. */
export const feedbackClickPayload = (
  w: Workspace,
  slack: SlackApiStandin,
  o: FeedbackClickOptions,
  ids: { triggerId: string; actionTs: string },
): Record<string, unknown> => {
  const stored = slack.message(o.channel, o.messageTs);
  const found = stored ? feedbackButtonsOf(stored) : undefined;
  if (!found && !o.force) throw new Error(`no feedback buttons on ${o.channel}/${o.messageTs}`);
  const button = found?.element[`${o.vote}_button`];
  const action = {
    type: 'feedback_buttons',
    action_id: o.actionId ?? String(found?.element.action_id ?? 'feedback_buttons_1'),
    block_id: found?.blockId ?? randomBytes(3).toString('base64url'),
    text: isObject(button) && isObject(button.text) ? button.text : { type: 'plain_text', text: o.vote },
    value: o.value ?? (isObject(button) && typeof button.value === 'string' ? button.value : o.vote),
    action_ts: ids.actionTs,
  };
  const base = blockActionBase(w, { user: o.user, triggerId: ids.triggerId, action });
  const where = onMessage(w, slack, {
    user: o.user,
    actionId: action.action_id,
    channel: o.channel,
    messageTs: o.messageTs,
  });
  return { ...base, ...where.payload };
};

/** A button in an ephemeral message (`action_id`), clicked by the user it was for. */
export const ephemeralClickPayload = (
  w: Workspace,
  slack: SlackApiStandin,
  e: Ephemeral,
  actionId: string,
  ids: { triggerId: string; actionTs: string },
): { payload: Record<string, unknown>; responseUrl: string } => {
  const button = findElement(e.blocks ?? [], actionId);
  if (!button) throw new Error(`no button ${actionId} in the ephemeral message ${e.message_ts}`);
  const action = {
    type: 'button',
    action_id: actionId,
    block_id: randomBytes(3).toString('base64url'),
    text: button.text,
    ...(typeof button.value === 'string' ? { value: button.value } : {}),
    action_ts: ids.actionTs,
  };
  const responseUrl = slack.mintResponseUrl({ channel: e.channel, user: e.user }).url;
  const payload = {
    ...blockActionBase(w, { user: e.user, triggerId: ids.triggerId, action }),
    // Slack does not send an ephemeral message's content back: only where it was.
    container: {
      type: 'message',
      message_ts: e.message_ts,
      channel_id: e.channel,
      is_ephemeral: true,
      ...(e.thread_ts ? { thread_ts: e.thread_ts } : {}),
    },
    channel: { id: e.channel, name: e.channel.toLowerCase() },
    response_url: responseUrl,
  };
  return { payload, responseUrl };
};

/**
 * A modal as the stand-in stored it, submitted by `user` with `values` typed into its inputs
 * (by block id, then action id).
 */
export const viewSubmissionPayload = (
  w: Workspace,
  o: { user: string; view: StoredView; values: Record<string, Record<string, string>>; triggerId: string },
): Record<string, unknown> => {
  const state: Record<string, Record<string, unknown>> = {};
  for (const [blockId, inputs] of Object.entries(o.values))
    for (const [actionId, value] of Object.entries(inputs)) {
      const el = findElement(o.view.blocks, actionId);
      state[blockId] ??= {};
      state[blockId][actionId] = inputState(
        typeof el?.type === 'string' ? el.type : 'plain_text_input',
        value,
      );
    }
  const { blocks, ...rest } = o.view;
  return {
    type: 'view_submission',
    ...interactionBase(w, o),
    view: { ...rest, blocks, state: { values: state } },
    response_urls: [],
  };
};

/** An input's state as Slack sends it, by element type (a select's choice is its option's value). */
const inputState = (type: string, value: string): Record<string, unknown> => {
  if (type === 'static_select' || type === 'radio_buttons')
    return { type, selected_option: value ? { value, text: { type: 'plain_text', text: value } } : null };
  if (type === 'conversations_select') return { type, selected_conversation: value || null };
  if (type === 'users_select') return { type, selected_user: value || null };
  if (type === 'checkboxes')
    return { type, selected_options: value ? value.split(',').map((v) => ({ value: v })) : [] };
  return { type, value };
};

/** The first element (a button, an input's element…) with `action_id` anywhere in `blocks`. */
const findElement = (node: unknown, actionId: string): Record<string, unknown> | undefined => {
  if (Array.isArray(node)) {
    for (const child of node) {
      const hit = findElement(child, actionId);
      if (hit) return hit;
    }
    return undefined;
  }
  if (!isObject(node)) return undefined;
  if (node.action_id === actionId) return node;
  for (const child of Object.values(node)) {
    const hit = findElement(child, actionId);
    if (hit) return hit;
  }
  return undefined;
};

export interface MessageShortcutOptions {
  /** Who used the shortcut (not necessarily the message's author). */
  user: string;
  /** The shortcut's callback id (manifest `shortcuts`). */
  callbackId: string;
  channel: string;
  /** The message it was used on, as the stand-in holds it. */
  messageTs: string;
}

/**
 * A message shortcut (`message_action`) on a message the stand-in holds, as Slack sends it: the
 * whole message, its channel, a trigger (for a modal) and a response_url minted there.
 */
export const messageShortcutPayload = (
  w: Workspace,
  slack: SlackApiStandin,
  o: MessageShortcutOptions,
  ids: { triggerId: string; actionTs: string },
): { payload: Record<string, unknown>; responseUrl: string } => {
  const stored = slack.message(o.channel, o.messageTs);
  if (!stored) throw new Error(`no message ${o.channel}/${o.messageTs} to use a shortcut on`);
  const { channel: _c, stream: _s, ...message } = stored;
  const responseUrl = slack.mintResponseUrl({ channel: o.channel, user: o.user }).url;
  const base = interactionBase(w, { user: o.user, triggerId: ids.triggerId });
  const payload = {
    type: 'message_action',
    ...base,
    callback_id: o.callbackId,
    action_ts: ids.actionTs,
    message_ts: o.messageTs,
    channel: { id: o.channel, name: o.channel.toLowerCase() },
    message,
    response_url: responseUrl,
  };
  return { payload, responseUrl };
};
