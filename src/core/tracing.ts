import { hostname } from 'node:os';
import {
  type Attributes,
  context,
  DiagLogLevel,
  diag,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';

export { type Span, SpanKind } from '@opentelemetry/api';

/**
 * OpenTelemetry tracing: one trace per Slack request, across the web and worker processes (BullMQ
 * carries the W3C trace context in each job's options, through bullmq-otel). Off unless an OTLP
 * endpoint is set: then no SDK is loaded, the API stays a no-op, and `withSpan` calls straight
 * through. The SDK packages are imported only when tracing starts, so a process without it never
 * pays their memory.
 */

export interface TracingConfig {
  /** Where spans are POSTed (OTLP/HTTP, JSON): undefined turns tracing off. */
  url: string | undefined;
  /** Sent with every export (e.g. an API key): never logged. */
  headers: Record<string, string>;
  serviceName: string;
  /** How long finished spans wait before they are sent in one batch, and how long one export may take. */
  batchDelayMs: number;
  exportTimeoutMs: number;
  /** Share of new traces recorded (0–1); `parentBased`: a span whose parent was (not) sampled follows it. */
  sampleRatio: number;
  parentBased: boolean;
}

/** Where the SDK's own problems go (an export the collector refused or never answered). */
export interface TracingLog {
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface Tracing {
  enabled: boolean;
  /** Sends the spans still buffered and stops the SDK (a no-op when tracing is off). */
  shutdown(): Promise<void>;
}

const TRACER = 'backchannel';
/** What a span gets when tracing is off: a valid object that records nothing. */
const NOOP_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
let enabled = false;
/** Longest a stopping process waits for its last spans to leave. */
const SHUTDOWN_GRACE_MS = 3_000;

/**
 * Runs `fn` in a new span, a child of the active one, ended when `fn` settles. A failure marks
 * the span with the error's code or name only: messages can quote users or providers, and spans
 * leave the process like logs do.
 */
export const withSpan = <T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> => {
  if (!enabled) return fn(NOOP_SPAN);
  return trace.getTracer(TRACER).startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      const code = typeof err === 'object' && err !== null ? Reflect.get(err, 'code') : undefined;
      const type = typeof code === 'string' ? code : err instanceof Error ? err.name : 'error';
      span.setAttribute('error.type', type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: type });
      throw err;
    } finally {
      span.end();
    }
  });
};

/**
 * Fields for a log line: the active trace and span (nothing when tracing is off or no span is
 * active). A new object each time: pino writes the line's own fields into it.
 */
export const traceLogFields = (): { traceId?: string; spanId?: string } => {
  if (!enabled) return {};
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && isSpanContextValid(sc) ? { traceId: sc.traceId, spanId: sc.spanId } : {};
};

/**
 * The active trace's id, when tracing is on and a span is active. An unsampled trace has one too
 * (its spans are not exported, but its log lines still correlate across processes).
 */
export const currentTraceId = (): string | undefined => traceLogFields().traceId;

/**
 * The active context as BullMQ's telemetry metadata (bullmq-otel's format: the W3C `traceparent`
 * carrier as JSON), for code that writes a job without `Queue.add` (a Lua script): stored where
 * BullMQ keeps `opts.telemetry.metadata` (key `tm` of the job hash's `opts` JSON), the worker's job
 * span continues this trace. Undefined when off.
 */
export const traceMetadata = (): string | undefined => {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? JSON.stringify(carrier) : undefined;
};

/**
 * Drops BullMQ's housekeeping spans that belong to no request (a worker's idle polls, stalled
 * checks): root spans of kind INTERNAL from its tracer. Its producer and consumer spans stay.
 */
const withoutIdleQueueSpans = (inner: SpanProcessor): SpanProcessor => ({
  onStart: (span, parent) => inner.onStart(span, parent),
  onEnd: (span: ReadableSpan) => {
    const idle =
      span.instrumentationScope.name === 'bullmq' &&
      span.kind === SpanKind.INTERNAL &&
      span.parentSpanContext === undefined;
    if (!idle) inner.onEnd(span);
  },
  forceFlush: () => inner.forceFlush(),
  shutdown: () => inner.shutdown(),
});

/**
 * Starts the SDK when `config.url` is set: an AsyncLocalStorage context manager (the active span
 * follows async work), the W3C trace-context propagator (what bullmq-otel writes into jobs), and a
 * batching OTLP/HTTP exporter. Otherwise does nothing at all.
 */
export const startTracing = async (
  config: TracingConfig,
  role: string,
  log?: TracingLog,
): Promise<Tracing> => {
  if (!config.url || enabled) return { enabled, shutdown: async () => {} };
  const [{ AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, sdk, resources, otlp] =
    await Promise.all([
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/exporter-trace-otlp-http'),
    ]);
  const exporter = new otlp.OTLPTraceExporter({
    url: config.url,
    headers: config.headers,
    timeoutMillis: config.exportTimeoutMs,
  });
  const ratio = config.sampleRatio;
  const root =
    ratio >= 1
      ? new sdk.AlwaysOnSampler()
      : ratio <= 0
        ? new sdk.AlwaysOffSampler()
        : new sdk.TraceIdRatioBasedSampler(ratio);
  if (log) {
    // Only warnings and errors, cut short: an export failure repeats every batch, and says enough.
    const line = (level: 'warn' | 'error') => (detail: string) =>
      log[level](
        { component: 'tracing', detail: detail.slice(0, 300) },
        'tracing: the SDK reported a problem',
      );
    diag.setLogger(
      { error: line('error'), warn: line('warn'), info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
  }
  const provider = new sdk.TracerProvider({
    sampler: config.parentBased ? new sdk.ParentBasedSampler({ root }) : root,
    resource: resources.resourceFromAttributes({
      'service.name': config.serviceName,
      'service.instance.id': `${hostname()}:${process.pid}`,
      'process.pid': process.pid,
      'backchannel.role': role,
    }),
    spanProcessors: [
      withoutIdleQueueSpans(
        new sdk.BatchSpanProcessor({ exporter, scheduledDelayMillis: config.batchDelayMs }),
      ),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  enabled = true;
  return {
    enabled,
    // A collector that is down loses the last spans, not the process's clean exit: the export's
    // failure is logged, and its retries are not waited out past SHUTDOWN_GRACE_MS.
    shutdown: async () => {
      enabled = false;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_GRACE_MS);
      });
      await Promise.race([
        provider.shutdown().catch((err: unknown) => {
          const reason = err instanceof Error ? err.message : String(err);
          log?.warn({ component: 'tracing', reason: reason.slice(0, 300) }, 'last spans not exported');
        }),
        grace,
      ]);
      clearTimeout(timer);
    },
  };
};
