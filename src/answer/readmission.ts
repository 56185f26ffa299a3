import type { AcceptedRequest } from '../core/domain.js';
import type { Logger } from '../core/logger.js';
import type { AnswerPolicy } from '../queue/registry.js';
import type { Admit } from './admission.js';
import type { BudgetCheck } from './budget-check.js';

export type Readmission = { ok: true; policy: AnswerPolicy } | { ok: false; text: string };

export interface ReadmissionDeps {
  admit?: Admit;
  budget?: Pick<BudgetCheck, 'refusal'>;
  logger: Logger;
}

/** Said when the policy now ignores the request (e.g. `respond: off`, told once already today). */
const NOT_HERE = "I can't answer that here any more: where and how I answer has changed since you asked.";

/**
 * A request run again (Retry on the Home tab) is a new answer: it passes today's policy and token
 * budgets like a new question, and runs with the policy's settings of now, not of when it was
 * first asked (an admin may have turned the channel off, taken the user off the list, or changed
 * the model since).
 */
export const createReadmission =
  (deps: ReadmissionDeps) =>
  async (request: AcceptedRequest): Promise<Readmission> => {
    const log = deps.logger.child({ component: 'admission', requestId: request.id, retry: true });
    let policy: AnswerPolicy = {};
    const admission = await deps.admit?.(request);
    if (admission && admission.verdict !== 'answer') {
      log.info({ verdict: admission.verdict, why: admission.why }, 'retry not answered by policy');
      return { ok: false, text: admission.verdict === 'refuse' ? admission.text : NOT_HERE };
    }
    if (admission) {
      const p = admission.policy;
      policy = { model: p.model, systemPrompt: p.systemPrompt, ...(p.private ? { private: true } : {}) };
    }
    const overBudget = await deps.budget?.refusal(request.teamId, request.userId, log);
    if (overBudget) return { ok: false, text: overBudget.text };
    return { ok: true, policy };
  };
