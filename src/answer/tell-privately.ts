import type { AcceptedRequest } from '../core/domain.js';
import { errorFields, userMessageFor } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SlackPoster } from '../out/poster.js';
import type { Block } from '../out/views/session-row.js';

export interface PrivateNotesDeps {
  poster: Pick<SlackPoster, 'respond' | 'postEphemeral'>;
  logger: Logger;
}

/** Notes only the requester sees: the request handler's refusals and private failures. */
export const createPrivateNotes = (deps: PrivateNotesDeps) => {
  const log = deps.logger.child({ component: 'requests' });

  /** An ephemeral note only the requester sees (through the command's response_url for /ask). */
  const tell = async (request: AcceptedRequest, threadTs: string, text: string, blocks?: Block[]) => {
    const extra = blocks ? { blocks } : {};
    try {
      if (request.responseUrl)
        await deps.poster.respond(request.responseUrl, { response_type: 'ephemeral', text, ...extra });
      else await deps.poster.postEphemeral(request.channelId, request.userId, text, { threadTs, ...extra });
    } catch (err) {
      log.warn({ requestId: request.id, err: errorFields(err) }, 'could not tell the user privately');
    }
  };

  /** A refusal: told privately and logged; never a lock wait, a Slack read or an LLM call first. */
  const refuse = async (request: AcceptedRequest, err: unknown, threadTs: string, rlog: Logger) => {
    rlog.info({ err: errorFields(err) }, 'request refused');
    await tell(request, threadTs, userMessageFor(err));
  };

  return { tell, refuse };
};

export type PrivateNotes = ReturnType<typeof createPrivateNotes>;
