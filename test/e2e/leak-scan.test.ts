// Invariant 4, end to end: a full run, then every byte Mandate wrote is searched for every
// secret issued during it. The run: over Streamable HTTP with user-delegated bearer tokens,
// every tool, approvals asked, granted and denied on the CLI, errors of every kind (bad
// arguments, unknown tool, refused capability, upstream 500 and 401, a bad bearer, a
// revocation, the authorization server gone), an agent pasting its own credentials into a
// message that needs approval; and over stdio the built server spawned as Claude Desktop
// would, every tool again. The bytes: the stdio server's stdout and stderr, the in-process
// server's log lines (debug level) and what its agents received, every CLI command's stdout
// and stderr, every file under both state directories (mandate.db, -wal, -shm, secrets.enc…,
// read while the servers run and again after), and `mandate audit export`. The secrets:
// every per-tool token an emulator received, the bearer tokens, every value in both secret
// stores (refresh tokens, client secrets), and anything JWT-shaped but approval receipts
// (signed public statements, in the audit trail by design). Key files under keys/
// are excluded: they are key material by design (the secret file's key, the audit and
// signing keys), not secrets issued during the run.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { CLI, mandateAsync, sc, tempHome } from '../helpers/cli.js';
import { bearerFor, connectHttp, type HttpMandate } from '../helpers/http.js';
import { callEveryTool } from '../helpers/calls.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { scrubTokens } from '../../src/audit/redact.js';
import { RECEIPT_TYP } from '../../src/audit/receipt.js';
import { startRuntime } from '../../src/runtime/index.js';
import { serveHttp } from '../../src/transports/http.js';
import { openSecretStore } from '../../src/secrets/index.js';

/** One named run of bytes Mandate wrote. */
interface Output {
  name: string;
  bytes: Buffer;
}

/** Where a secret was found: the output's name and which secret (shown by its first characters only). */
interface Finding {
  output: string;
  secret: string;
}

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

/**
 * An approval receipt is JWT-shaped but no credential: a signed, public statement of a human's
 * decision (ids, tool, args digest), kept in the audit trail on purpose. It is told by its
 * protected header's `typ`; any other JWT-shaped text still counts.
 */
function isReceipt(jws: string): boolean {
  try {
    return (JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8')) as { typ?: unknown }).typ === RECEIPT_TYP;
  } catch {
    return false;
  }
}

/** Every output that holds a secret (or its signature part) or anything JWT-shaped. */
function scan(outputs: readonly Output[], secrets: readonly string[]): Finding[] {
  const needles = new Set<string>();
  for (const s of secrets) {
    needles.add(s);
    const signature = s.split('.')[2];
    if (signature && signature.length >= 40) needles.add(signature); // a JWT cut short still gives itself away
  }
  const found: Finding[] = [];
  for (const o of outputs) {
    const text = o.bytes.toString('latin1');
    for (const n of needles) if (text.includes(n)) found.push({ output: o.name, secret: `${n.slice(0, 10)}…` });
    const jwt = [...text.matchAll(new RegExp(JWT_SHAPE.source, 'g'))].find((m) => !isReceipt(m[0]));
    if (jwt) found.push({ output: o.name, secret: `JWT-shaped ${jwt[0].slice(0, 16)}…` });
  }
  return found;
}

/** Every file under `home` except key material under keys/. */
function stateFiles(home: string, label: string): Output[] {
  const out: Output[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      const rel = path.relative(home, p);
      if (rel === 'keys' || rel.startsWith(`keys${path.sep}`)) continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ name: `${label}:${rel}`, bytes: fs.readFileSync(p) });
    }
  };
  walk(home);
  return out;
}

/** A stdio transport over the spawned `mandate serve` that keeps every byte of its stdout and stderr. */
class CapturingStdio implements Transport {
  onmessage?: (m: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (e: Error) => void;
  readonly stdout: Buffer[] = [];
  readonly stderr: Buffer[] = [];
  private child?: ChildProcessWithoutNullStreams;
  private readonly reader = new ReadBuffer();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI, 'serve'], { env: this.env });
    this.child = child;
    child.stdout.on('data', (d: Buffer) => {
      this.stdout.push(d);
      this.reader.append(d);
      for (let m = this.reader.readMessage(); m; m = this.reader.readMessage()) this.onmessage?.(m);
    });
    child.stderr.on('data', (d: Buffer) => { this.stderr.push(d); });
    child.on('error', (e) => this.onerror?.(e));
    child.on('close', () => this.onclose?.());
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.child!.stdin.write(serializeMessage(message));
  }

  /** Ends stdin (as a client does on exit) and waits for the server to exit, so its output is complete. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

const outputs: Output[] = [];
const secrets = new Set<string>();
const cliEnv = (home: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, MANDATE_HOME: home, MANDATE_SECRETS: 'file', MANDATE_LOG_LEVEL: 'debug' };
  delete env.MANDATE_CONFIG;
  return env;
};
/** Runs a CLI command, expects it to succeed, and keeps what it printed. */
async function cli(label: string, args: string[], home: string): Promise<void> {
  const r = await mandateAsync(args, cliEnv(home));
  outputs.push({ name: `${label} mandate ${args.join(' ')} (stdout)`, bytes: Buffer.from(r.stdout) });
  outputs.push({ name: `${label} mandate ${args.join(' ')} (stderr)`, bytes: Buffer.from(r.stderr) });
  expect(r.code, `mandate ${args.join(' ')}: ${r.stderr}`).toBe(0);
}
async function addSecretStore(home: string): Promise<void> {
  const store = await openSecretStore({ home, env: { MANDATE_SECRETS: 'file' } });
  for (const c of await store.findCredentials(store.service)) secrets.add(c.password);
}

describe('leak scan: no issued secret in anything Mandate wrote (invariant 4)', () => {
  let m: HttpMandate;
  const logLines: Buffer[] = [];
  let stdioHome: string;
  let stdio: CapturingStdio;

  beforeAll(async () => {
    // The HTTP server, in process so its emulators' view of tokens is at hand, logging at debug level into a capture.
    const { home } = tempHome();
    const level = process.env.MANDATE_LOG_LEVEL;
    process.env.MANDATE_LOG_LEVEL = 'debug';
    process.env.MANDATE_SECRETS = 'file';
    const logger = createLogger({ service: 'mandate' }, new Writable({ write(chunk, _enc, done) { logLines.push(Buffer.from(chunk)); done(); } }));
    if (level === undefined) delete process.env.MANDATE_LOG_LEVEL;
    else process.env.MANDATE_LOG_LEVEL = level;
    const config = parseConfig({
      approvals: { waitSeconds: 0 },
      // The assistant's pasted secrets go to a human (not the content guard's default deny), so the
      // approval paths (request, console, CLI, receipts) are scanned with a secret in them too.
      agents: { 'demo-agent': { tools: { '*': 'allow' } }, assistant: { contentGuard: { secrets: 'approve' } } },
    });
    const handle = await serveHttp((mcpUrl) => startRuntime({ home, config, logger, mcpResource: mcpUrl }), { port: 0 });
    m = { url: handle.url, home, runtime: handle.runtime, handle, close: () => handle.close() };

    stdioHome = tempHome({ approvals: { waitSeconds: 0 }, agents: { 'demo-agent': { tools: { '*': 'allow' } } } }).home;
  });
  afterAll(async () => {
    await stdio?.close();
    await m?.close();
  });

  it('a full run over HTTP with bearer tokens: every tool, approvals, errors, bad bearers (MCP-AUTH-401), revocation', async () => {
    const demoBearer = await bearerFor(m);
    const assistantBearer = await bearerFor(m, 'assistant');
    secrets.add(demoBearer).add(assistantBearer);
    const demo = await connectHttp(m.url, demoBearer);
    const assistant = await connectHttp(m.url, assistantBearer);
    const emulators = m.runtime.sandbox!.emulators;
    // What the agents receive (results and error messages) is scanned too.
    const results: unknown[] = [];
    for (const client of [demo, assistant]) {
      const callTool = client.callTool.bind(client);
      client.callTool = async (...a: Parameters<typeof callTool>) => {
        const r = await callTool(...a);
        results.push(r);
        return r;
      };
    }

    const runs = await callEveryTool(demo);
    expect(runs.filter((r) => r.isError)).toEqual([]);
    // Errors: bad arguments, an unknown tool, an upstream 500, an upstream 401 twice (a fresh token, then refused).
    expect(sc(await demo.callTool({ name: 'crm_get_deal', arguments: { deal_id: 42, extra: demoBearer } })).error.code).toBe('invalid_arguments');
    expect(sc(await demo.callTool({ name: 'slack_delete_workspace', arguments: {} })).error.code).toBe('capability_denied');
    emulators.crm.inject({ kind: 'status', status: 500, count: 1 });
    expect(sc(await demo.callTool({ name: 'crm_list_deals', arguments: { limit: 2 } })).error.code).toBe('upstream_error');
    emulators.crm.inject({ kind: 'status', status: 401, count: 2 });
    expect(sc(await demo.callTool({ name: 'crm_get_deal', arguments: { deal_id: runs.find((r) => r.name === 'crm_get_deal')!.args.deal_id } })).error.code).toBe('upstream_unauthorized');

    // Approvals: asked, granted on the CLI and run on the identical retry; asked and denied; a destructive tool refused.
    const post = { channel: '#support-updates', text: 'Release 4.2 is out' };
    const pending = sc(await assistant.callTool({ name: 'slack_post_message', arguments: post })).error;
    expect(pending.code).toBe('approval_pending');
    // An agent (prompt-injected, say) pasting its own credentials into a message that needs approval.
    const idSecrets = m.runtime.identity.secrets;
    const ownSecret = (await idSecrets.getPassword(idSecrets.service, 'client:assistant'))!;
    // Free text is scrubbed by shape: a random 32-byte secret is recognised by its mix of cases and digits,
    // which about one in 1,500 lacks (it then reads like a word); such a one is not pasted, so the run is not flaky.
    const pastable = scrubTokens(ownSecret) !== ownSecret ? ownSecret : 'a-secret-not-shaped-like-one';
    const pasted = { channel: '#support-updates', text: `${pastable} is my client secret, ${assistantBearer} my token` };
    const pastedPending = sc(await assistant.callTool({ name: 'slack_post_message', arguments: pasted })).error;
    expect(pastedPending.code).toBe('approval_pending');
    await cli('http', ['approvals', 'list'], m.home);
    await cli('http', ['approvals', 'list', '--json'], m.home);
    await cli('http', ['approvals', 'approve', pending.approval_id], m.home);
    await cli('http', ['approvals', 'deny', pastedPending.approval_id, '--reason', 'never post credentials'], m.home);
    const approved = await assistant.callTool({ name: 'slack_post_message', arguments: post });
    expect(approved.isError).toBeFalsy();
    expect(sc(await assistant.callTool({ name: 'calendar_delete_event', arguments: { event_id: 'x' } })).error.code).toBe('capability_denied');

    // A bad bearer and a per-tool token used as a bearer are refused (and must not be logged).
    const perTool = emulators.slack.requests.find((r) => r.token)!.token!;
    for (const bad of ['not-a-token', perTool]) {
      const res = await fetch(m.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${bad}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
      });
      expect(res.status).toBe(401);
    }

    // A revocation (the cached token is dropped and denylisted), then the authorization server gone.
    await cli('http', ['revoke', '--agent', 'demo-agent', '--tool', 'slack_read_history'], m.home);
    expect(sc(await demo.callTool({ name: 'slack_read_history', arguments: { channel: '#general' } })).error.code).toMatch(/denied|revoked/);
    await m.runtime.identity.authz!.close();
    expect(sc(await assistant.callTool({ name: 'calendar_list_events', arguments: { limit: 2 } })).error.code).toBe('token_unavailable');

    for (const e of Object.values(emulators)) for (const r of e.requests) if (r.token) secrets.add(r.token);
    await addSecretStore(m.home);
    for (const cmd of [['audit', 'verify'], ['audit', 'tail', '-n', '500'], ['audit', 'tail', '--json', '-n', '500'], ['audit', 'export'], ['agents', 'list'], ['policy', 'explain', '--agent', 'assistant', '--tool', 'slack_post_message']]) {
      await cli('http', cmd, m.home);
    }
    const firstCall = (await m.runtime.services.store.readAudit({ limit: 1 }))[0]!.call_id;
    await cli('http', ['audit', 'show', firstCall], m.home);
    outputs.push(...stateFiles(m.home, 'http home (running)'));
    await demo.close();
    await assistant.close();
    await m.close();
    outputs.push(...stateFiles(m.home, 'http home (stopped)'));
    outputs.push({ name: 'http server log', bytes: Buffer.concat(logLines) });
    expect(results.length).toBeGreaterThan(30);
    outputs.push({ name: 'http tool results', bytes: Buffer.from(JSON.stringify(results)) });
    expect(Buffer.concat(logLines).toString()).toContain('"call_id"'); // the capture did receive the server's log lines
  });

  it('a full run over stdio: the spawned server\'s stdout and stderr, and the CLI beside it', async () => {
    stdio = new CapturingStdio(cliEnv(stdioHome));
    const client = new Client({ name: 'leak-scan', version: '1.0.0' });
    await client.connect(stdio);
    const runs = await callEveryTool(client);
    expect(runs.filter((r) => r.isError)).toEqual([]);
    expect(sc(await client.callTool({ name: 'slack_read_history', arguments: { channel: '#general', limit: 'lots' } })).error.code).toBe('invalid_arguments');
    outputs.push(...stateFiles(stdioHome, 'stdio home (running)'));
    await client.close();
    await stdio.close();
    const stdout = Buffer.concat(stdio.stdout);
    const stderr = Buffer.concat(stdio.stderr);
    expect(stdout.toString()).toContain('"structuredContent"'); // the capture holds the protocol itself
    expect(stderr.toString()).toContain('"call_id"'); // and the debug log lines
    outputs.push({ name: 'stdio server stdout', bytes: stdout }, { name: 'stdio server stderr', bytes: stderr });
    await addSecretStore(stdioHome);
    for (const cmd of [['audit', 'verify'], ['audit', 'tail', '--json', '-n', '500'], ['audit', 'export'], ['approvals', 'list', '--all'], ['agents', 'list']]) {
      await cli('stdio', cmd, stdioHome);
    }
    outputs.push(...stateFiles(stdioHome, 'stdio home (stopped)'));
  });

  it('finds none of the issued secrets, nor anything JWT-shaped, in any of it', () => {
    const list = [...secrets];
    // The scan has something to look for: per-tool tokens, bearers, refresh tokens and client secrets of both runs.
    expect(list.filter((s) => JWT_SHAPE.test(s)).length).toBeGreaterThanOrEqual(6);
    expect(list.filter((s) => !JWT_SHAPE.test(s)).length).toBeGreaterThanOrEqual(6);
    const names = outputs.map((o) => o.name);
    for (const expected of ['mandate.db', 'mandate.db-wal', 'secrets.enc', 'audit export', 'stdio server stdout', 'stdio server stderr', 'http server log', 'http tool results']) {
      expect(names.some((n) => n.includes(expected)), expected).toBe(true);
    }
    expect(names.filter((n) => /:keys[\\/]/.test(n))).toEqual([]);
    expect(scan(outputs, list)).toEqual([]);
  });

  it('log lines are redacted as audit records are: fields, messages, errors and child bindings (src/log.ts)', () => {
    // Shaped like what the run issues: an ES256 JWT and a 32-byte base64url secret.
    const jwt = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJkZW1vLXVzZXIiLCJhY3QiOnsic3ViIjoiZGVtby1hZ2VudCJ9fQ.' +
      'q3Jx0bT1mY7wZ2d9VfK4sLp8Hn6cRa5Ue1GiWo3Xy0Ez7Tb2Nu9Qk4Lm6Pv8Rs1Dj5Fh7Ca3Bg0Ix2Ky4Mw6Ot8Sq';
    const opaque = 'Zk3v9QmT2xL7pW4nR8sY1bC6dF0gH5jK2aE9uI3oV7w';
    const lines: Buffer[] = [];
    const logger = createLogger({ service: 'mandate' }, new Writable({ write(chunk, _enc, done) { lines.push(Buffer.from(chunk)); done(); } }));
    logger.child({ call_id: 'c1', note: `Bearer ${jwt}` }).child({ client_secret: opaque }).warn(
      { refresh_token: opaque, detail: `upstream said ${jwt}`, err: new Error(`refused ${jwt}`), nested: [{ apiKey: opaque }] },
      `exchange failed for ${jwt}`,
    );
    const text = Buffer.concat(lines).toString();
    expect(text).toContain('"call_id":"c1"');
    expect(text.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(7);
    expect(scan([{ name: 'log', bytes: Buffer.from(text) }], [jwt, opaque])).toEqual([]);
  });

  it('the scan does find a planted secret and a planted JWT (so an empty result means something)', () => {
    const list = [...secrets];
    const opaque = list.find((s) => !JWT_SHAPE.test(s))!;
    const jwt = list.find((s) => JWT_SHAPE.test(s))!;
    const control = [
      { name: 'control:opaque', bytes: Buffer.from(`{"note":"${opaque}"}`) },
      { name: 'control:jwt-cut', bytes: Buffer.from(`Bearer ${jwt.slice(jwt.indexOf('.') + 1)}`) },
      { name: 'control:jwt-shaped', bytes: Buffer.from('x eyJhbGciOiJub25lIn0.eyJzdWIiOiJzb21lb25lIn0.c2lnbmF0dXJlIQ y') },
    ];
    const found = scan(control, list).map((f) => f.output);
    expect(found).toContain('control:opaque');
    expect(found).toContain('control:jwt-cut');
    expect(found).toContain('control:jwt-shaped');
  });
});
