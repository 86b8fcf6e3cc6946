// Telemetry's seam: what the pipeline and the runtime tell it (a call's steps and outcome,
// token exchanges and cache hits, approval waits, refused attempts), and whether it is on.
// Off by default; on with the standard OpenTelemetry environment variables
// (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_TRACES_EXPORTER=otlp…;
// OTEL_SDK_DISABLED=true wins). Only then is the OpenTelemetry SDK loaded (./otel.ts, its own
// chunk), so a server without telemetry starts and runs as before. Never arguments or tokens:
// only call_id, agent, tool, decision, outcome and error code.

/** What one call tells telemetry. */
export interface CallTelemetry {
  /** Runs one pipeline step inside its span, timing it. */
  step<T>(name: string, run: () => Promise<T>): Promise<T>;
  /** The call's end: its decision, outcome and error code. */
  end(result: { decision: string | null; outcome: string; errorCode: string | null }): void;
}

/** The facts a call's span starts with; `traceparent` from the request's `_meta`, when sent. */
export interface CallStart {
  callId: string;
  agent: string;
  tool: string;
  traceparent?: string;
  tracestate?: string;
}

/** Telemetry for a running server. */
export interface Telemetry {
  call(start: CallStart): CallTelemetry;
  /** Where the token stage's counts of exchanges and cache hits are read (observed with the metrics). */
  tokens(stats: () => { exchanges: number; hits: number }): void;
  /** A human took `ms` to decide an approval (or the wait ended without one: `decided` false). */
  approvalWait(ms: number, decided: boolean): void;
  /** A refused attempt (a denied call, a refused token or bearer), by its audit event and error code. */
  refused(event: string, errorCode: string | null): void;
  /** Flushes and stops the exporters. */
  shutdown(): Promise<void>;
}

/** Whether the environment turns telemetry on. */
export function telemetryEnabled(env: NodeJS.ProcessEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  const exporters = [env.OTEL_TRACES_EXPORTER, env.OTEL_METRICS_EXPORTER].filter((v): v is string => !!v);
  if (exporters.some((v) => v.split(',').some((x) => x.trim() !== '' && x.trim() !== 'none'))) return true;
  return !!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
}

/** Starts telemetry when the environment asks for it; null (and nothing loaded) otherwise. */
export async function startTelemetry(env: NodeJS.ProcessEnv): Promise<Telemetry | null> {
  if (!telemetryEnabled(env)) return null;
  const { startOtel } = await import('./otel.js');
  return startOtel({ env });
}
