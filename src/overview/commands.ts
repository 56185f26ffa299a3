import type { AcceptedRequest } from '../core/domain.js';
import type { Canceller } from '../queue/cancel.js';
import { cancelReply } from './replies.js';
import type { OverviewService } from './service.js';

export interface OverviewCommandsDeps {
  canceller: Pick<Canceller, 'cancelNewest'>;
  overview: Pick<OverviewService, 'sessionsMessage'>;
  respond: (responseUrl: string, body: Record<string, unknown>) => Promise<void>;
}

/**
 * `/ask cancel` and `/ask sessions`: about the user's own requests, so answered only to them,
 * through the command's `response_url`.
 */
export const createOverviewCommands = (deps: OverviewCommandsDeps) => {
  const tell = async (request: AcceptedRequest, body: Record<string, unknown>) => {
    if (request.responseUrl) await deps.respond(request.responseUrl, { response_type: 'ephemeral', ...body });
  };
  return {
    /** Cancels the user's newest queued or running request, and says what became of it. */
    async cancel(request: AcceptedRequest): Promise<void> {
      const outcome = await deps.canceller.cancelNewest(request.teamId, request.userId);
      await tell(request, { text: cancelReply(outcome) });
    },
    /** The user's sessions, as a private list. */
    async sessions(request: AcceptedRequest): Promise<void> {
      await tell(request, await deps.overview.sessionsMessage(request.teamId, request.userId));
    },
  };
};

export type OverviewCommands = ReturnType<typeof createOverviewCommands>;
