import type { AcceptedRequest } from '../core/domain.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { RateLimiter } from '../queue/fairness.js';
import type { Admit } from './admission.js';
import type { AnswerSettings } from './answer-request.js';
import type { BudgetCheck } from './budget-check.js';
import type { PrivateNotes } from './tell-privately.js';

export interface RequestGateDeps {
  rateLimiter: Pick<RateLimiter, 'admit'>;
  notes: PrivateNotes;
  /** The workspace's and channel's policy (admission.ts); absent: everyone, built-in settings. */
  admit?: Admit;
  /** Daily token budgets (budget-check.ts); without it, none. */
  budget?: Pick<BudgetCheck, 'refusal'>;
}

/** A request the gate let through: its settings, and whether it still goes to the queue. */
export interface Passed {
  settings: AnswerSettings;
  later: boolean;
}

const BUILT_IN: AnswerSettings = { policy: {}, background: true };

const backgroundOffText = "Background answers are turned off here, so I'm answering now instead of later.";

/**
 * What every request passes once, before anything is posted for it: the policy, then the daily
 * token budgets, then the per-user rate limit. A request that does not pass is refused privately
 * (or ignored, by policy) and is not answered.
 */
export const createRequestGate = (deps: RequestGateDeps) => {
  /**
   * The policy: false when the request is not answered (refused privately, or ignored); else its
   * settings, and `later` turned off (said privately) where background answers are.
   */
  const byPolicy = async (
    request: AcceptedRequest,
    threadTs: string,
    passed: Passed,
    rlog: Logger,
  ): Promise<boolean> => {
    const admission = await deps.admit?.(request);
    if (!admission) return true;
    if (admission.verdict !== 'answer') {
      rlog.info({ verdict: admission.verdict, why: admission.why }, 'request not answered by policy');
      if (admission.verdict === 'refuse') await deps.notes.tell(request, threadTs, admission.text);
      return false;
    }
    const p = admission.policy;
    passed.settings = {
      policy: { model: p.model, systemPrompt: p.systemPrompt, ...(p.private ? { private: true } : {}) },
      background: p.background,
    };
    if (passed.later && !p.background) {
      passed.later = false;
      await deps.notes.tell(request, threadTs, backgroundOffText);
    }
    return true;
  };

  /**
   * The request's settings when it may go on, else undefined (it was refused or ignored).
   * `release` runs on every refusal, for a request waiting for its thread's turn to give it up:
   * after the policy's note, before the budget's and the rate limit's (as it always has).
   */
  const pass = async (
    request: AcceptedRequest,
    { threadTs, later, release }: { threadTs: string; later: boolean; release?: () => Promise<void> },
    rlog: Logger,
  ): Promise<Passed | undefined> => {
    const passed: Passed = { settings: BUILT_IN, later };
    if (!(await byPolicy(request, threadTs, passed, rlog))) {
      await release?.();
      return undefined;
    }
    // The daily token budgets, before the rate limit counts the request: a refusal says when they reset.
    const budgetUsed = await deps.budget?.refusal(request.teamId, request.userId, rlog);
    if (budgetUsed) {
      await release?.();
      await deps.notes.tell(request, threadTs, budgetUsed.text, budgetUsed.blocks);
      return undefined;
    }
    // The per-user rate limit, last: every question counts, foreground or `later` (both cost LLM
    // calls), once per request id (a request that went back to wait for its thread is not recounted).
    if (!(await deps.rateLimiter.admit(request.teamId, request.userId, request.id))) {
      await release?.();
      await deps.notes.refuse(
        request,
        new AppError('user_rate_limited', 'over the per-user rate limit'),
        threadTs,
        rlog,
      );
      return undefined;
    }
    return passed;
  };

  return { pass };
};

export type RequestGate = ReturnType<typeof createRequestGate>;
