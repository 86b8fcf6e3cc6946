// The OpenTelemetry side of src/telemetry: one span per call (its parent from the request's
// `traceparent`) with one child span per pipeline step, and the metrics: calls by outcome,
// step latency, token exchanges and cache hits, approval wait times, refused attempts.
// Exported over OTLP/HTTP (JSON) to OTEL_EXPORTER_OTLP_ENDPOINT; tests pass their own
// exporter and reader instead.
import { context, trace, SpanStatusCode, ROOT_CONTEXT, type Attributes, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import type { CallStart, CallTelemetry, Telemetry } from './index.js';

export interface OtelOptions {
  env: NodeJS.ProcessEnv;
  /** Tests: spans go here (synchronously) instead of OTLP. */
  spanExporter?: SpanExporter;
  /** Tests: metrics are read here instead of exported over OTLP. */
  metricReader?: MetricReader;
}

const propagator = new W3CTraceContextPropagator();

/** Starts the SDK: a tracer and a meter named `mandate`, exporters from the environment. */
export function startOtel(opts: OtelOptions): Telemetry {
  const resource = resourceFromAttributes({ 'service.name': opts.env.OTEL_SERVICE_NAME || 'mandate' });
  const tracesOn = (opts.env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((s) => s.trim()).includes('otlp');
  const metricsOn = (opts.env.OTEL_METRICS_EXPORTER ?? 'otlp').split(',').map((s) => s.trim()).includes('otlp');
  const processors = [];
  if (opts.spanExporter) processors.push(new SimpleSpanProcessor(opts.spanExporter));
  else if (tracesOn) {
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500 }));
  }
  const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: processors });
  const readers: MetricReader[] = [];
  if (opts.metricReader) readers.push(opts.metricReader);
  else if (metricsOn) {
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: Number(opts.env.OTEL_METRIC_EXPORT_INTERVAL) || 60_000 }));
  }
  const meterProvider = new MeterProvider({ resource, readers });
  const tracer = tracerProvider.getTracer('mandate');
  const meter = meterProvider.getMeter('mandate');

  const calls = meter.createCounter('mandate.calls', { description: 'Tool calls by outcome' });
  const stepDuration = meter.createHistogram('mandate.step.duration', { description: 'Time in each pipeline step', unit: 'ms' });
  const approvalWait = meter.createHistogram('mandate.approval.wait', { description: 'Time a call waited for a human\'s approval', unit: 'ms' });
  const refused = meter.createCounter('mandate.refused', { description: 'Refused attempts (denied calls, refused tokens and bearers)' });
  let tokenStats: () => { exchanges: number; hits: number } = () => ({ exchanges: 0, hits: 0 });
  meter.createObservableCounter('mandate.token.exchanges', { description: 'Per-tool token exchanges' }).addCallback((r) => r.observe(tokenStats().exchanges));
  meter.createObservableCounter('mandate.token.cache_hits', { description: 'Per-tool tokens served from the cache' }).addCallback((r) => r.observe(tokenStats().hits));

  return {
    call(start: CallStart): CallTelemetry {
      const carrier: Record<string, string> = {};
      if (start.traceparent) carrier.traceparent = start.traceparent;
      if (start.tracestate) carrier.tracestate = start.tracestate;
      const parent: Context = start.traceparent ? propagator.extract(ROOT_CONTEXT, carrier, { get: (c, k) => c[k], keys: (c) => Object.keys(c) }) : ROOT_CONTEXT;
      const base: Attributes = { 'mandate.call_id': start.callId, 'mandate.agent': start.agent, 'mandate.tool': start.tool };
      const span = tracer.startSpan('tools/call', { attributes: base }, parent);
      const inCall = trace.setSpan(parent, span);
      return {
        async step(name, run) {
          const child = tracer.startSpan(name, { attributes: base }, inCall);
          const t0 = performance.now();
          try {
            return await context.with(trace.setSpan(inCall, child), run);
          } catch (err) {
            const code = (err as { code?: unknown }).code;
            if (typeof code === 'string') child.setAttribute('mandate.error_code', code);
            child.setStatus({ code: SpanStatusCode.ERROR });
            throw err;
          } finally {
            stepDuration.record(performance.now() - t0, { step: name });
            child.end();
          }
        },
        end({ decision, outcome, errorCode }) {
          if (decision) span.setAttribute('mandate.decision', decision);
          span.setAttribute('mandate.outcome', outcome);
          if (errorCode) {
            span.setAttribute('mandate.error_code', errorCode);
            span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
          }
          span.end();
          calls.add(1, { outcome, tool: start.tool, agent: start.agent, ...(errorCode ? { error_code: errorCode } : {}) });
        },
      };
    },
    tokens(stats) {
      tokenStats = stats;
    },
    approvalWait(ms, decided) {
      approvalWait.record(ms, { decided: String(decided) });
    },
    refused(event, errorCode) {
      refused.add(1, { event, ...(errorCode ? { error_code: errorCode } : {}) });
    },
    async shutdown() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
