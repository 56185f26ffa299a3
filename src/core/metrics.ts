import {
  type CollectFunction,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';

export type RequestKind = 'event' | 'command' | 'action' | 'other';

/** Declares metrics on one registry: a name, its help and its labels (none by default). */
export const metricsOn = (registry: Registry) => ({
  counter: <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] }),
  histogram: <L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) => new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] }),
  /** `collect` sets the value when scraped (values read from Redis: every process reports the same). */
  gauge: <L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: CollectFunction<Gauge<L>>,
  ) => new Gauge<L>({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) }),
});

/** Prometheus metrics, one registry per process (tests build their own). */
export const createMetrics = (opts: { defaultMetrics?: boolean } = {}) => {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'backchannel_' });
  const { counter, gauge, histogram } = metricsOn(registry);
  return {
    registry,
    requests: counter('backchannel_requests_total', 'Slack requests received, by kind and outcome', [
      'kind',
      'outcome',
    ]),
    ackSeconds: histogram(
      'backchannel_ack_seconds',
      'Time from receiving a Slack request to sending the HTTP acknowledgement',
      ['kind', 'status'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
    answers: counter(
      'backchannel_answers_total',
      'Answers finished, by path (foreground, background) and outcome',
      ['path', 'outcome'],
    ),
    answerSeconds: histogram(
      'backchannel_answer_seconds',
      'Time from accepting a request to its complete answer',
      ['path'],
      [0.5, 1, 2, 5, 10, 20, 40, 80, 160],
    ),
    inFlight: gauge('backchannel_foreground_in_flight', 'Foreground answers being produced by this process'),
    llmCalls: counter(
      'backchannel_llm_calls_total',
      'LLM calls (retries within a call included) by outcome: ok, or the error code',
      ['outcome'],
    ),
    // A counter only goes up, so a change of rating cannot take back the first one: the first rating
    // of an answer by a user counts in `feedback`, each later change in `feedbackChanges` (by the new
    // value). Ratings standing now, per value v: feedback{v} + changes{v} − changes{other}.
    feedback: counter(
      'backchannel_feedback_total',
      'Answers rated by a user for the first time, by rating (positive, negative)',
      ['value'],
    ),
    feedbackChanges: counter(
      'backchannel_feedback_changes_total',
      'Ratings a user changed, by the new rating (positive, negative)',
      ['value'],
    ),
    unhandledRejections: counter(
      'backchannel_unhandled_rejections_total',
      'Promise rejections nobody handled (logged; the process keeps running)',
    ),
    // The shared Slack budget (out/slack-budget.ts). Tokens are sampled on each call this process
    // makes; a per-channel method (chat.postMessage) shows the last channel's bucket.
    slackBudgetTokens: gauge(
      'backchannel_slack_budget_tokens',
      'Tokens left in the shared Slack budget bucket of a method, as last seen by this process',
      ['method'],
    ),
    slackBudgetWaits: counter(
      'backchannel_slack_budget_waits_total',
      'Slack calls that waited for the shared budget (a token or a 429 pause), by method and priority',
      ['method', 'priority'],
    ),
    slackBudgetSkipped: counter(
      'backchannel_slack_budget_skipped_total',
      'Optional Slack writes skipped because their budget was short, by method',
      ['method'],
    ),
    slackRateLimited: counter(
      'backchannel_slack_rate_limited_total',
      'Slack 429 (rate limited) answers received, by method',
      ['method'],
    ),
  };
};

export type Metrics = ReturnType<typeof createMetrics>;
