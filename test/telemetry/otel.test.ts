// OpenTelemetry: one span per pipeline step under the call's span, its parent taken from the
// `traceparent` in the request's `_meta`; metrics for calls, steps, tokens, approvals and
// refusals; never arguments or tokens. In process with an in-memory exporter over HTTP, then
// once end to end: the built CLI over stdio exporting to a local OTLP/HTTP receiver.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime } from '../../src/runtime/index.js';
import { serveHttp } from '../../src/transports/http.js';
import { startOtel } from '../../src/telemetry/otel.js';
import { telemetryEnabled } from '../../src/telemetry/index.js';
import { bearerFor, connectHttp, type HttpMandate } from '../helpers/http.js';
import { connectStdio, sc, tempHome } from '../helpers/cli.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const STEPS = ['resolve tool', 'record received', 'check capability', 'validate arguments', 'check constraints and rate', 'guard outbound content', 'await approval', 'count rate', 'execute with per-tool token'];

describe('when telemetry is on', () => {
  it('only the standard variables turn it on; OTEL_SDK_DISABLED wins', () => {
    expect(telemetryEnabled({})).toBe(false);
    expect(telemetryEnabled({ OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(telemetryEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(telemetryEnabled({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(telemetryEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });
});

describe('in process, in memory', () => {
  const spans = new InMemorySpanExporter();
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 3_600_000 });
  let m: HttpMandate;
  beforeAll(async () => {
    const { home } = tempHome({});
    process.env.MANDATE_SECRETS ??= 'file';
    const telemetry = startOtel({ env: {}, spanExporter: spans, metricReader: reader });
    const handle = await serveHttp((mcpUrl) => startRuntime({
      home, config: parseConfig({ agents: { 'demo-agent': { tools: { slack_post_message: 'allow' } } } }), logger: silentLogger(), mcpResource: mcpUrl, telemetry,
    }), { port: 0 });
    m = { url: handle.url, home, runtime: handle.runtime, handle, close: () => handle.close() };
  });
  afterAll(async () => { await m?.close(); });

  it('a call is a span under the caller\'s traceparent with one child per step; attributes carry no arguments or tokens', async () => {
    const client = await connectHttp(m.url, await bearerFor(m));
    const secretText = 'the launch code is 0000';
    const r = await client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text: secretText }, _meta: { traceparent: PARENT } });
    expect(r.isError ?? false).toBe(false);
    const callId = (r._meta as Record<string, string>)['mandate/call_id'];
    const refused = await client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text: `token ${['xox', 'b-', '1234-5678-abcdefgh'].join('')}` } });
    expect(sc(refused).error.code).toBe('content_guard');
    await client.close();

    const finished = spans.getFinishedSpans();
    const call = finished.find((s) => s.name === 'tools/call' && s.attributes['mandate.call_id'] === callId)!;
    expect(call.spanContext().traceId).toBe(TRACE_ID);
    expect(call.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(call.attributes).toMatchObject({ 'mandate.agent': 'demo-agent', 'mandate.tool': 'slack_post_message', 'mandate.decision': 'allow', 'mandate.outcome': 'ok' });
    const steps = finished.filter((s) => s.parentSpanContext?.spanId === call.spanContext().spanId);
    expect(steps.map((s) => s.name)).toEqual(STEPS);
    const denied = finished.find((s) => s.name === 'tools/call' && s.attributes['mandate.outcome'] === 'denied')!;
    expect(denied.attributes).toMatchObject({ 'mandate.error_code': 'content_guard', 'mandate.decision': 'deny' });
    expect(finished.find((s) => s.name === 'guard outbound content' && s.parentSpanContext?.spanId === denied.spanContext().spanId)?.attributes['mandate.error_code']).toBe('content_guard');
    const all = JSON.stringify(finished.map((s) => s.attributes));
    expect(all).not.toContain(secretText);
    expect(all).not.toContain('xoxb');

    await reader.forceFlush();
    const names = metrics.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((x) => x.descriptor.name)));
    for (const n of ['mandate.calls', 'mandate.step.duration', 'mandate.refused', 'mandate.token.exchanges', 'mandate.token.cache_hits']) expect(names).toContain(n);
  });
});

describe('end to end, to a local OTLP/HTTP receiver', () => {
  it('the built CLI over stdio exports the call\'s span and its steps as OTLP JSON', async () => {
    const bodies: Array<{ path: string; body: any }> = [];
    const receiver = http.createServer((req, res) => {
      let data = '';
      req.on('data', (d) => { data += d; });
      req.on('end', () => { try { bodies.push({ path: req.url ?? '', body: JSON.parse(data) }); } catch { bodies.push({ path: req.url ?? '', body: null }); } res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const { env } = tempHome({});
      const s = await connectStdio({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, OTEL_METRICS_EXPORTER: 'none', OTEL_SERVICE_NAME: 'mandate-e2e' });
      const r = await s.client.callTool({ name: 'slack_list_channels', arguments: { limit: 2 }, _meta: { traceparent: PARENT } });
      expect(r.isError ?? false).toBe(false);
      const callId = (r._meta as Record<string, string>)['mandate/call_id'];
      await s.close();
      const deadline = Date.now() + 10_000;
      const spansOf = () => bodies.filter((b) => b.path === '/v1/traces').flatMap((b) => b.body.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans)));
      while (Date.now() < deadline && !spansOf().some((sp: any) => sp.name === 'tools/call')) await new Promise((res) => setTimeout(res, 100));
      const exported = spansOf();
      const call = exported.find((sp: any) => sp.name === 'tools/call');
      expect(call).toBeDefined();
      expect(call.traceId).toBe(TRACE_ID);
      expect(call.attributes).toContainEqual({ key: 'mandate.call_id', value: { stringValue: callId } });
      expect(exported.filter((sp: any) => sp.parentSpanId === call.spanId).map((sp: any) => sp.name)).toEqual(STEPS);
      const service = bodies.find((b) => b.path === '/v1/traces')!.body.resourceSpans[0].resource.attributes;
      expect(service).toContainEqual({ key: 'service.name', value: { stringValue: 'mandate-e2e' } });
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });
});
