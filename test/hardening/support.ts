// Shared checks of the hardening suites: what a user-facing error must look like, how a
// call's audit records are grouped, and raw JSON-RPC over stdio and HTTP (for frames the
// SDK's Client would never send).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { expect } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { CALL_EVENTS, type AuditRecord } from '../../src/audit/record.js';
import type { Store } from '../../src/store/types.js';
import { CLI } from '../helpers/cli.js';

/** What leaks out of a broken implementation: stack frames, internal error names, tokens. */
const NOT_PLAIN = [/\n\s+at /, /\bat [\w.<>]+ \(.*:\d+:\d+\)/, /TypeError|ReferenceError|RangeError|SyntaxError/, /eyJ[\w-]{10,}\.[\w-]{10,}/, /node_modules|\/src\/|\.ts:\d+/];

/** A message a user can read: short, one idea, no stack trace, no internals, no token. */
export function expectPlainMessage(message: unknown, label = ''): void {
  expect(typeof message, label).toBe('string');
  const m = message as string;
  expect(m.length, label).toBeGreaterThan(10);
  expect(m.length, label).toBeLessThan(400);
  for (const p of NOT_PLAIN) expect(m, `${label}: ${p}`).not.toMatch(p);
}

/** The structured error of an isError tool result, checked against the contract. */
export function expectToolError(result: unknown, code: (typeof ERROR_CODES)[number], label = ''): Record<string, any> {
  const r = result as { isError?: boolean; structuredContent?: { error?: Record<string, any> }; _meta?: Record<string, unknown> };
  expect(r.isError, `${label} ${JSON.stringify(r.structuredContent)}`).toBe(true);
  const err = r.structuredContent?.error ?? {};
  expect(err.code, `${label} ${JSON.stringify(err)}`).toBe(code);
  expectPlainMessage(err.message, label);
  expect(err.call_id, label).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  expect(r._meta?.['mandate/call_id'], label).toBe(err.call_id);
  return err;
}

/** A successful tool result; returns its structured content. */
export function expectOk(result: unknown, label = ''): Record<string, any> {
  const r = result as { isError?: boolean; structuredContent?: Record<string, any> };
  expect(r.isError ?? false, `${label} ${JSON.stringify(r.structuredContent)}`).toBe(false);
  return r.structuredContent ?? {};
}

/** Every audit record, grouped by call_id, in chain order. */
export async function recordsByCall(store: Store): Promise<Map<string, AuditRecord[]>> {
  const byCall = new Map<string, AuditRecord[]>();
  const ofCall = new Set<string>(CALL_EVENTS);
  for await (const r of store.scanAudit()) {
    if (!ofCall.has(r.event)) continue; // records of no call (decisions, revocations, anomalies…)
    const list = byCall.get(r.call_id) ?? [];
    list.push(r);
    byCall.set(r.call_id, list);
  }
  return byCall;
}

/** The events of one call's records, in order. */
export const eventsOf = (records: readonly AuditRecord[] | undefined): string[] => (records ?? []).map((r) => r.event);

/** The environment of a `mandate …` command acting on an existing state directory. */
export function cliEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MANDATE_HOME: home, MANDATE_SECRETS: process.env.MANDATE_SECRETS ?? 'file', ...extra };
  if (!('MANDATE_CONFIG' in extra)) delete env.MANDATE_CONFIG;
  return env;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined) or `ms` pass. */
export async function waitUntil<T>(check: () => T | undefined | Promise<T | undefined>, ms = 15_000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export const INIT = {
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
} as const;

/** `mandate serve` over stdio, spoken to line by line. Every stdout line must be JSON-RPC. */
export interface RawStdio {
  child: ChildProcessWithoutNullStreams;
  messages: any[];
  /** stdout lines that were not JSON (a protocol violation). */
  junk: string[];
  stderr(): string;
  send(line: string): void;
  waitFor(id: string | number, ms?: number): Promise<any>;
  /** Sends initialize + initialized and waits for the answer. */
  initialize(): Promise<void>;
  close(): Promise<void>;
}

export function rawStdio(env: NodeJS.ProcessEnv, args: string[] = []): RawStdio {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { env });
  const messages: any[] = [];
  const junk: string[] = [];
  let err = '';
  let buf = '';
  child.stderr.on('data', (d) => { err += d; });
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      try { messages.push(JSON.parse(line)); } catch { junk.push(line.slice(0, 200)); }
    }
  });
  const waitFor = (id: string | number, ms = 15_000) =>
    waitUntil(() => messages.find((x) => x.id === id && ('result' in x || 'error' in x)), ms, `an answer to id ${String(id).slice(0, 40)}`);
  return {
    child,
    messages,
    junk,
    stderr: () => err,
    send: (line) => { child.stdin.write(line + '\n'); },
    waitFor,
    async initialize() {
      child.stdin.write(JSON.stringify(INIT) + '\n');
      const init = await waitFor(1, 30_000);
      expect(init.result?.serverInfo?.name).toBe('mandate');
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.stdin.end();
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** POSTs a raw body to an MCP endpoint. */
export function rawPost(url: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
  });
}

/** Reads a Streamable HTTP answer (plain JSON or an SSE stream) as the JSON-RPC messages it holds. */
export async function readMessages(res: Response): Promise<any[]> {
  const text = await res.text();
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return text
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim())
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  }
  if (!text) return [];
  const v = JSON.parse(text);
  return Array.isArray(v) ? v : [v];
}

/** Opens a session with raw requests; returns its id and the headers to reuse. */
export async function rawSession(url: string, token: string): Promise<{ sessionId: string; headers: Record<string, string> }> {
  const res = await rawPost(url, JSON.stringify(INIT), { authorization: `Bearer ${token}` });
  expect(res.status).toBe(200);
  const sessionId = res.headers.get('mcp-session-id');
  await res.text();
  expect(sessionId).toBeTruthy();
  const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId!, 'mcp-protocol-version': '2025-06-18' };
  const ack = await rawPost(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers);
  expect(ack.status).toBe(202);
  return { sessionId: sessionId!, headers };
}
