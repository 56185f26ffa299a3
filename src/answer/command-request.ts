import { dispositionOf } from '../core/disposition.js';
import type { AcceptedRequest } from '../core/domain.js';
import { errorFields, userMessageFor } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { USAGE } from '../core/usage.js';
import type { SlackPoster } from '../out/poster.js';
import { slackErrorCode } from '../out/slack-error.js';
import type { FollowedThreads } from '../sessions/follow.js';
import type { RequestStore } from '../sessions/requests.js';
import type { AnswerRequest } from './answer-request.js';
import type { RequestGate } from './request-gate.js';
import { cannotPostIn } from './shortcut-request.js';
import type { PrivateNotes } from './tell-privately.js';

export interface CommandRequestDeps {
  poster: Pick<SlackPoster, 'question' | 'respond'>;
  requests: Pick<RequestStore, 'rootOf' | 'rememberRoot'>;
  followed: Pick<FollowedThreads, 'follow'>;
  gate: RequestGate;
  answer: AnswerRequest;
  notes: PrivateNotes;
  logger: Logger;
}

const notInChannelText = (channelId: string) =>
  `I can't post in <#${channelId}> because I'm not a member. Invite me with \`/invite @Backchannel\`, then ask again.`;

/**
 * An `/ask` question: the bot posts it as a new thread's root, follows that thread, and answers
 * there. It has no message of its own, so it waits for no thread's turn; whatever fails, the asker
 * is told privately through the command's response_url.
 */
export const createCommandRequests = (deps: CommandRequestDeps) => {
  const log = deps.logger.child({ component: 'requests' });

  /**
   * Posts the thread root for `/ask`, quoting the asker and the question; where answers are private
   * (the channel's policy), without the question: only the asker sees it, and its answer.
   */
  const postRoot = async (
    request: AcceptedRequest,
    question: string,
    privately: boolean,
  ): Promise<string | undefined> => {
    try {
      return await deps.poster.question(request.channelId, {
        requestId: request.id,
        userId: request.userId,
        question,
        ...(privately ? { private: true } : {}),
      });
    } catch (err) {
      if (cannotPostIn(err)) {
        const slackError = slackErrorCode(err);
        log.info({ requestId: request.id, slackError }, '/ask in a channel the bot cannot post to');
        if (request.responseUrl)
          await deps.poster.respond(request.responseUrl, {
            response_type: 'ephemeral',
            text: notInChannelText(request.channelId),
          });
        return undefined;
      }
      throw err;
    }
  };

  /** `rerun`: this request's intake job ran before (a process died, or Redis failed, mid-way). */
  return async (
    request: AcceptedRequest,
    { question, later, rerun }: { question: string; later: boolean; rerun: boolean },
    rlog: Logger,
  ): Promise<void> => {
    if (!question.trim()) {
      if (request.responseUrl)
        await deps.poster.respond(request.responseUrl, { response_type: 'ephemeral', text: USAGE });
      return;
    }
    const passed = await deps.gate.pass(request, { threadTs: '', later }, rlog);
    if (!passed) return;
    // A re-run of this request (after a Redis blip or a crash) reuses the root it already posted.
    const rootTs =
      (await deps.requests.rootOf(request.id)) ??
      (await postRoot(request, question, passed.settings.policy.private === true));
    if (!rootTs) return;
    await deps.requests.rememberRoot(request.id, rootTs);
    await deps.followed.follow(request.teamId, request.channelId, rootTs);
    try {
      const opts = { fresh: false, isNew: true, badgeTs: rootTs, questionTs: rootTs, rerun };
      return await deps.answer(request, rootTs, question, passed.later, opts, passed.settings);
    } catch (err) {
      const disposition = dispositionOf(err);
      if (disposition === 'retry') throw err;
      rlog.warn({ err: errorFields(err), disposition }, 'command request failed');
      // Whatever the disposition, /ask tells the asker privately through the command's
      // response_url: the thread is the bot's own post of their question.
      await deps.notes.tell(request, rootTs, userMessageFor(err));
      return;
    }
  };
};

export type CommandRequests = ReturnType<typeof createCommandRequests>;
