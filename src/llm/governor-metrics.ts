import type { Registry } from 'prom-client';
import { metricsOn } from '../core/metrics.js';
import type { LlmGovernor } from './governor.js';

/**
 * The LLM governor in `/metrics`, registered on the process's registry (once per process: both
 * roles' governed clients share these): how often and how long calls waited for budget, by
 * priority; how often the provider held every process (a 429, or a limit used up until its reset);
 * and the calls in flight across all processes, read from Redis when scraped.
 */
export const createGovernorMetrics = (registry: Registry, governor: Pick<LlmGovernor, 'inFlight'>) => {
  const { counter, gauge, histogram } = metricsOn(registry);
  return {
    waits: counter(
      'backchannel_llm_budget_waits_total',
      'LLM calls that had to wait for the shared budget (RPM, TPM or calls at once), by priority',
      ['priority'],
    ),
    waitSeconds: histogram(
      'backchannel_llm_budget_wait_seconds',
      'Time an LLM call waited for the shared budget before it was sent, by priority',
      ['priority'],
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    ),
    holds: counter(
      'backchannel_llm_budget_holds_total',
      "Times the provider's headers held every process (a 429's retry-after, or a limit used up)",
    ),
    inFlight: gauge(
      'backchannel_llm_in_flight',
      'LLM calls in flight across all processes (the governor’s leases in Redis)',
      [],
      async function () {
        this.set(await governor.inFlight().catch(() => Number.NaN));
      },
    ),
  };
};

export type GovernorMetrics = ReturnType<typeof createGovernorMetrics>;
