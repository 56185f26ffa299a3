import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type RequestKind = 'event' | 'command' | 'action' | 'other';

/** Prometheus metrics, one registry per process (tests build their own). */
export const createMetrics = (opts: { defaultMetrics?: boolean } = {}) => {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'backchannel_' });
  const requests = new Counter({
    name: 'backchannel_requests_total',
    help: 'Slack requests received, by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const ackSeconds = new Histogram({
    name: 'backchannel_ack_seconds',
    help: 'Time from receiving a Slack request to sending the HTTP acknowledgement',
    labelNames: ['kind', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const answers = new Counter({
    name: 'backchannel_answers_total',
    help: 'Answers finished, by path (foreground, background) and outcome',
    labelNames: ['path', 'outcome'] as const,
    registers: [registry],
  });
  const answerSeconds = new Histogram({
    name: 'backchannel_answer_seconds',
    help: 'Time from accepting a request to its complete answer',
    labelNames: ['path'] as const,
    buckets: [0.5, 1, 2, 5, 10, 20, 40, 80, 160],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'backchannel_foreground_in_flight',
    help: 'Foreground answers being produced by this process',
    registers: [registry],
  });
  const llmCalls = new Counter({
    name: 'backchannel_llm_calls_total',
    help: 'LLM calls (retries within a call included) by outcome: ok, or the error code',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // A counter only goes up, so a change of rating cannot take back the first one: the first rating
  // of an answer by a user counts in `feedback`, each later change in `feedbackChanges` (by the new
  // value). Ratings standing now, per value v: feedback{v} + changes{v} − changes{other}.
  const feedback = new Counter({
    name: 'backchannel_feedback_total',
    help: 'Answers rated by a user for the first time, by rating (positive, negative)',
    labelNames: ['value'] as const,
    registers: [registry],
  });
  const feedbackChanges = new Counter({
    name: 'backchannel_feedback_changes_total',
    help: 'Ratings a user changed, by the new rating (positive, negative)',
    labelNames: ['value'] as const,
    registers: [registry],
  });
  const unhandledRejections = new Counter({
    name: 'backchannel_unhandled_rejections_total',
    help: 'Promise rejections nobody handled (logged; the process keeps running)',
    registers: [registry],
  });
  // The shared Slack budget (out/slack-budget.ts). Tokens are sampled on each call this process
  // makes; a per-channel method (chat.postMessage) shows the last channel's bucket.
  const slackBudgetTokens = new Gauge({
    name: 'backchannel_slack_budget_tokens',
    help: 'Tokens left in the shared Slack budget bucket of a method, as last seen by this process',
    labelNames: ['method'] as const,
    registers: [registry],
  });
  const slackBudgetWaits = new Counter({
    name: 'backchannel_slack_budget_waits_total',
    help: 'Slack calls that waited for the shared budget (a token or a 429 pause), by method and priority',
    labelNames: ['method', 'priority'] as const,
    registers: [registry],
  });
  const slackBudgetSkipped = new Counter({
    name: 'backchannel_slack_budget_skipped_total',
    help: 'Optional Slack writes skipped because their budget was short, by method',
    labelNames: ['method'] as const,
    registers: [registry],
  });
  const slackRateLimited = new Counter({
    name: 'backchannel_slack_rate_limited_total',
    help: 'Slack 429 (rate limited) answers received, by method',
    labelNames: ['method'] as const,
    registers: [registry],
  });
  return {
    registry,
    requests,
    ackSeconds,
    answers,
    answerSeconds,
    inFlight,
    llmCalls,
    feedback,
    feedbackChanges,
    unhandledRejections,
    slackBudgetTokens,
    slackBudgetWaits,
    slackBudgetSkipped,
    slackRateLimited,
  };
};

export type Metrics = ReturnType<typeof createMetrics>;
