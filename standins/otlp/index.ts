import type http from 'node:http';
import { z } from 'zod';
import { closeServer, createServer, listenOnLoopback, readBody, type SyncProbe, Waiters } from '../http.js';

/**
 * A stand-in for an OpenTelemetry collector's OTLP/HTTP traces endpoint (`POST /v1/traces`), JSON
 * encoding (what `@opentelemetry/exporter-trace-otlp-http` sends): it records every span, flattened
 * with its resource, so a test can ask which process sent what in which trace. Point the bot's
 * `OTEL_EXPORTER_OTLP_ENDPOINT` at `url`.
 */

type Primitive = string | number | boolean;

/** OTLP's AnyValue, the scalar kinds (arrays and maps are kept as their JSON). */
const anyValue = z
  .object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.number().optional(),
  })
  .loose();
const keyValues = z.array(z.object({ key: z.string(), value: anyValue.optional() })).default([]);

const exportRequest = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: keyValues }).optional(),
        scopeSpans: z
          .array(
            z.object({
              scope: z.object({ name: z.string() }).loose().optional(),
              spans: z
                .array(
                  z
                    .object({
                      traceId: z.string().regex(/^[0-9a-f]{32}$/),
                      spanId: z.string().regex(/^[0-9a-f]{16}$/),
                      parentSpanId: z.string().optional(),
                      name: z.string(),
                      kind: z.number().int().optional(),
                      attributes: keyValues,
                      status: z.object({ code: z.number().optional() }).loose().optional(),
                    })
                    .loose(),
                )
                .default([]),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** The tracer that made it (`backchannel`, `bullmq`). */
  scope: string;
  attributes: Record<string, Primitive>;
  /** The sending process's resource: `service.name`, `process.pid`, `backchannel.role`… */
  resource: Record<string, Primitive>;
  /** 2 when the span ended in error. */
  statusCode: number;
}

const flatten = (kvs: z.infer<typeof keyValues>): Record<string, Primitive> => {
  const out: Record<string, Primitive> = {};
  for (const { key, value } of kvs) {
    if (!value) continue;
    const v =
      value.stringValue ??
      value.boolValue ??
      (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
      value.doubleValue;
    out[key] = v ?? JSON.stringify(value);
  }
  return out;
};

export class OtlpStandin {
  private readonly server = createServer((req, res) => this.route(req, res));
  private port = 0;
  private received: ReceivedSpan[] = [];
  private exportCount = 0;
  private readonly waiters = new Waiters();

  async listen(): Promise<this> {
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  /** What to pass as `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter appends `/v1/traces`). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[] {
    return [...this.received];
  }

  /** How many export requests arrived (bad ones included). */
  exports(): number {
    return this.exportCount;
  }

  /** Resolves with the probe's first truthy value, re-checked on every export; rejects after `timeoutMs`. */
  waitFor<T>(probe: SyncProbe<T>, timeoutMs = 10_000, what = 'spans'): Promise<T> {
    return this.waiters.waitFor(probe, timeoutMs, () => `timed out waiting for ${what}`);
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    this.exportCount++;
    const body = await readBody(req);
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      res.writeHead(415, { 'content-type': 'text/plain' }).end('this stand-in takes OTLP/JSON only');
      return;
    }
    let parsed: z.infer<typeof exportRequest>;
    try {
      parsed = exportRequest.parse(JSON.parse(body));
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
      return;
    }
    for (const rs of parsed.resourceSpans) {
      const resource = flatten(rs.resource?.attributes ?? []);
      for (const ss of rs.scopeSpans)
        for (const s of ss.spans)
          this.received.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || undefined,
            name: s.name,
            kind: s.kind ?? 0,
            scope: ss.scope?.name ?? '',
            attributes: flatten(s.attributes),
            resource,
            statusCode: s.status?.code ?? 0,
          });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    this.waiters.notify();
  }
}

export const startOtlp = (): Promise<OtlpStandin> => new OtlpStandin().listen();
