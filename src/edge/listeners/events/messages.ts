import type { App } from '@slack/bolt';
import type { AcceptedRequest } from '../../../core/domain.js';
import { AppError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { Metrics } from '../../../core/metrics.js';
import type { Intake } from '../../../intake/intake.js';
import { toFileRefs } from '../../../out/files/slack-file.js';
import { stripMention, TEXT_SUBTYPES } from '../../../out/message-text.js';
import type { FollowedThreads } from '../../../sessions/follow.js';
import { messageId } from '../../../sessions/keys.js';
import type { ThreadLocks } from '../../../sessions/thread-lock.js';
import { type MessageEvent, messageEventSchema } from '../../payloads.js';
import { readEvent } from './read-event.js';

export interface MessageListenerDeps {
  intake: Pick<Intake, 'accept'>;
  followed: Pick<FollowedThreads, 'isFollowed'>;
  identity: { botUserId: string; botId: string };
  threadLocks: Pick<ThreadLocks, 'order'>;
  logger: Logger;
  metrics: Pick<Metrics, 'requests'>;
}

/**
 * Decides whether a message is a request to the bot, and of which kind. Pure: the caller looks up
 * whether the thread is followed only when it matters.
 */
export const classifyMessage = (
  event: MessageEvent,
  botUserId: string,
):
  | { kind: 'ignore'; why: string }
  | { kind: 'request'; source: AcceptedRequest['source'] }
  | { kind: 'maybe_followed' } => {
  if (event.bot_id || event.subtype === 'bot_message') return { kind: 'ignore', why: 'bot message' };
  if (!TEXT_SUBTYPES.has(event.subtype)) return { kind: 'ignore', why: `subtype ${event.subtype}` };
  if (!event.user || event.user === botUserId) return { kind: 'ignore', why: 'no human author' };
  const text = event.text ?? '';
  const mentioned = text.includes(`<@${botUserId}>`) || text.includes(`<@${botUserId}|`);
  if (event.channel_type === 'im' || (event.channel.startsWith('D') && event.type === 'message'))
    return { kind: 'request', source: 'dm' };
  if (mentioned) return { kind: 'request', source: 'mention' };
  if (event.thread_ts && event.thread_ts !== event.ts) return { kind: 'maybe_followed' };
  return { kind: 'ignore', why: 'not addressed to the bot' };
};

/**
 * `app_mention` and `message.*` events. A mention arrives twice (`app_mention` and its `message`
 * twin, different event ids, same ts): both are classified the same way and claimed under the
 * message's (team, channel, ts), so whichever arrives first is taken and the other is a duplicate.
 */
export const registerMessageListeners = (app: App, deps: MessageListenerDeps) => {
  const handle = async (rawEvent: unknown, rawBody: unknown) => {
    const read = readEvent(deps, messageEventSchema, rawEvent, rawBody, 'message event');
    if (!read) return;
    const { e: event, teamId } = read;
    const decision = classifyMessage(event, deps.identity.botUserId);
    let source: AcceptedRequest['source'];
    if (decision.kind === 'ignore') {
      deps.logger.debug({ why: decision.why }, 'message ignored');
      deps.metrics.requests.inc({ kind: 'event', outcome: 'ignored' });
      return;
    }
    if (decision.kind === 'maybe_followed') {
      // Only threads the bot follows are sessions; other threads are never stored or read.
      const followed = await deps.followed
        .isFollowed(teamId, event.channel, event.thread_ts ?? event.ts)
        .catch((cause: unknown) => {
          // Not stored, not answered: a 5xx so Slack redelivers it once Redis is back.
          throw new AppError('redis_unavailable', 'could not check the thread', { cause, retryable: true });
        });
      if (!followed) {
        deps.metrics.requests.inc({ kind: 'event', outcome: 'ignored' });
        return;
      }
      source = 'thread_reply';
    } else source = decision.source;

    const id = messageId(teamId, event.channel, event.ts);
    // Only references: the files are downloaded, if ever, when the session's context is built.
    const files = toFileRefs(event.files);
    const request: AcceptedRequest = {
      id,
      source,
      teamId,
      channelId: event.channel,
      userId: event.user ?? '',
      text: stripMention(event.text ?? '', deps.identity.botUserId),
      ts: event.ts,
      ...(event.thread_ts && event.thread_ts !== event.ts ? { threadTs: event.thread_ts } : {}),
      isDm: source === 'dm',
      ...(files.length ? { files } : {}),
      receivedAt: Date.now(),
    };
    // Throws when Redis is down: Bolt then answers 500 and Slack redelivers.
    const thread = { teamId, channelId: event.channel, threadTs: event.thread_ts ?? event.ts };
    const result = await deps.intake.accept(request, `msg:${id}`, deps.threadLocks.order(thread, event.ts));
    deps.metrics.requests.inc({ kind: 'event', outcome: result });
  };

  app.event('app_mention', async ({ event, body }) => handle(event, body));
  app.event('message', async ({ event, body }) => handle(event, body));
};
