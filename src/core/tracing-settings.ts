import { z } from 'zod';
import type { TracingConfig } from './tracing.js';

/**
 * OpenTelemetry's standard variables, the subset we honour: their zod schemas, which config.ts
 * parses with every other setting, and the tracing config they make. Traces go out only when an
 * endpoint is set.
 */

const blankIsUnset = z
  .string()
  .optional()
  .transform((v) => v?.trim() || undefined);
const endpoint = blankIsUnset.pipe(z.url().optional());
const SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;

export const tracingSettings = {
  OTEL_SDK_DISABLED: z.stringbool().default(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_HEADERS: blankIsUnset.pipe(
    z
      .string()
      .regex(/^[^=,]+=[^,]*(,[^=,]+=[^,]*)*$/, 'must be key=value pairs separated by commas')
      .optional(),
  ),
  OTEL_SERVICE_NAME: z.string().min(1).default('backchannel'),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(0).default(5_000),
  OTEL_EXPORTER_OTLP_TIMEOUT: z.coerce.number().int().min(1).default(10_000),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
};

type TracingEnv = z.output<z.ZodObject<typeof tracingSettings>>;

export const toTracingConfig = (e: TracingEnv): TracingConfig => {
  const sampler = e.OTEL_TRACES_SAMPLER;
  return {
    url: e.OTEL_SDK_DISABLED ? undefined : tracesUrl(e),
    headers: otlpHeaders(e.OTEL_EXPORTER_OTLP_HEADERS),
    serviceName: e.OTEL_SERVICE_NAME,
    batchDelayMs: e.OTEL_BSP_SCHEDULE_DELAY,
    exportTimeoutMs: e.OTEL_EXPORTER_OTLP_TIMEOUT,
    // The sampler's name as a share of new traces kept, and whether a child follows its parent.
    sampleRatio: sampler.endsWith('always_on')
      ? 1
      : sampler.endsWith('always_off')
        ? 0
        : e.OTEL_TRACES_SAMPLER_ARG,
    parentBased: sampler.startsWith('parentbased_'),
  };
};

/** The signal-specific endpoint as given; else the base endpoint + `v1/traces` (OTLP exporter spec). */
const tracesUrl = (e: TracingEnv): string | undefined => {
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  return e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/?$/, '/')}v1/traces` : undefined);
};

/** `k1=v1,k2=v2`, values percent-encoded (W3C baggage format, as OTEL_EXPORTER_OTLP_HEADERS is). */
const otlpHeaders = (raw: string | undefined): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const pair of raw?.split(',') ?? []) {
    const at = pair.indexOf('=');
    const value = pair.slice(at + 1).trim();
    let decoded = value;
    try {
      decoded = decodeURIComponent(value);
    } catch {
      // not percent-encoded after all: taken as written
    }
    headers[pair.slice(0, at).trim()] = decoded;
  }
  return headers;
};
