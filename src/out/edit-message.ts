import type { types } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../core/logger.js';
import type { MessageMetadata } from './metadata.js';
import type { SlackCall } from './slack-call.js';
import { slackErrorCode } from './slack-error.js';

/** Slack errors after which a message cannot be edited any more, so its text goes into a new one. */
export const MESSAGE_GONE: ReadonlySet<string> = new Set([
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
]);

/**
 * Edits one of the bot's messages in place (chat.update) to show `content` and, when given,
 * `metadata` (an edited note must not keep its note mark). Resolves false when the message cannot
 * be edited any more (deleted, too old): the caller posts instead. Other errors reject.
 */
export const createMessageEditor =
  (deps: { client: Pick<WebClient, 'chat'>; call: SlackCall; log: Logger }) =>
  async (
    channel: string,
    ts: string,
    content: { text: string; blocks: (types.KnownBlock | types.Block)[] },
    metadata?: MessageMetadata,
  ): Promise<boolean> => {
    try {
      await deps.call('chat.update', channel, () =>
        deps.client.chat.update({ channel, ts, ...content, ...(metadata ? { metadata } : {}) }),
      );
      return true;
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === undefined || !MESSAGE_GONE.has(code)) throw err;
      deps.log.info({ slackError: code, channel }, 'message to edit is gone; posting instead');
      return false;
    }
  };
