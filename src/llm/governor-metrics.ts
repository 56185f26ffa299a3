import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { LlmGovernor } from './governor.js';

/**
 * The LLM governor in `/metrics`, registered on the process's registry (once per process: both
 * roles' governed clients share these): how often and how long calls waited for budget, by
 * priority; how often the provider held every process (a 429, or a limit used up until its reset);
 * and the calls in flight across all processes, read from Redis when scraped.
 */
export const createGovernorMetrics = (registry: Registry, governor: Pick<LlmGovernor, 'inFlight'>) => ({
  waits: new Counter({
    name: 'backchannel_llm_budget_waits_total',
    help: 'LLM calls that had to wait for the shared budget (RPM, TPM or calls at once), by priority',
    labelNames: ['priority'] as const,
    registers: [registry],
  }),
  waitSeconds: new Histogram({
    name: 'backchannel_llm_budget_wait_seconds',
    help: 'Time an LLM call waited for the shared budget before it was sent, by priority',
    labelNames: ['priority'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  }),
  holds: new Counter({
    name: 'backchannel_llm_budget_holds_total',
    help: "Times the provider's headers held every process (a 429's retry-after, or a limit used up)",
    registers: [registry],
  }),
  inFlight: new Gauge({
    name: 'backchannel_llm_in_flight',
    help: 'LLM calls in flight across all processes (the governor’s leases in Redis)',
    registers: [registry],
    async collect() {
      this.set(await governor.inFlight().catch(() => Number.NaN));
    },
  }),
});

export type GovernorMetrics = ReturnType<typeof createGovernorMetrics>;
