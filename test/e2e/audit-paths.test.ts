// Every path a tool call can take leaves the audit records a security team expects, with the
// whole attribution (user, client, agent, actor chain, session, MCP request id, policy
// version, args digest) and never a token: allowed, invalid arguments, denied, read-only,
// approval requested → approved on the CLI → executed on the identical retry, rejected,
// expired, upstream error, token unavailable. Afterwards `mandate audit verify` (the built
// CLI, another process) accepts each trail. Servers run in process over Streamable HTTP,
// reached with user-delegated bearer tokens, so the emulators' view of tokens is at hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { mandateAsync, sc } from '../helpers/cli.js';
import { argsDigest } from '../../src/audit/digest.js';
import type { AuditRecord } from '../../src/audit/record.js';
import { receiptRef } from '../../src/audit/receipt.js';

/** An MCP client over HTTP that remembers the JSON-RPC id of its last `tools/call`. */
interface Agent {
  name: string;
  client: Client;
  sessionId: string;
  lastRequestId: () => string | number | undefined;
  bearer: string;
}

async function agentOn(m: HttpMandate, name: string): Promise<Agent> {
  const bearer = await bearerFor(m, name);
  const client = await connectHttp(m.url, bearer);
  const transport = client.transport as unknown as { send(msg: JSONRPCMessage, o?: unknown): Promise<void>; sessionId?: string };
  let last: string | number | undefined;
  const send = transport.send.bind(transport);
  transport.send = (msg, o) => {
    if ('method' in msg && msg.method === 'tools/call' && 'id' in msg) last = msg.id;
    return send(msg, o);
  };
  return { name, client, sessionId: transport.sessionId!, lastRequestId: () => last, bearer };
}

interface Called {
  result: Record<string, any>;
  isError: boolean;
  callId: string;
  requestId: string | number | undefined;
  records: AuditRecord[];
}

async function call(m: HttpMandate, a: Agent, name: string, args: Record<string, unknown>): Promise<Called> {
  const r = await a.client.callTool({ name, arguments: args });
  const callId = (r._meta as Record<string, string>)['mandate/call_id']!;
  const records = await m.runtime.services.store.readAudit({ callId });
  return { result: sc(r), isError: r.isError === true, callId, requestId: a.lastRequestId(), records };
}

/** The attribution every record of one call must carry, and the chain order within it. */
function expectAttributed(m: HttpMandate, a: Agent, c: Called, args: Record<string, unknown>): void {
  expect(c.records.length).toBeGreaterThanOrEqual(2);
  expect(c.requestId).toBeDefined();
  for (const r of c.records) {
    expect(r).toMatchObject({
      call_id: c.callId,
      user: 'demo-user',
      client: a.name,
      agent: a.name,
      actor_chain: [a.name],
      session_id: a.sessionId,
      mcp_request_id: String(c.requestId),
      policy_version: m.runtime.services.policyVersion(),
      args_digest: argsDigest(args),
    });
    expect(r.policy_version).toMatch(/\S{8,}/);
  }
  const seqs = c.records.map((r) => r.seq);
  // Consecutive (calls here run one at a time), but for one gap: a human's decision on the
  // call's approval while it waited, a record of its own (call_id = the approval id).
  expect(seqs.slice(1).filter((seq, i) => seq !== seqs[i]! + 1).length).toBeLessThanOrEqual(1);
  expect(c.records[0]!.event).toBe('received');
}

/** Every per-tool token an emulator saw, plus the bearer tokens: none may be in a record. */
function issuedTokens(m: HttpMandate, agents: Agent[]): string[] {
  const seen = Object.values(m.runtime.sandbox!.emulators).flatMap((e) => e.requests.map((r) => r.token));
  return [...new Set([...seen.filter((t): t is string => !!t), ...agents.map((a) => a.bearer)])];
}

/** The environment of a `mandate` command working on the server's state directory. */
function cliEnv(m: HttpMandate): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MANDATE_HOME: m.home, MANDATE_SECRETS: 'file' };
  delete env.MANDATE_CONFIG;
  return env;
}

/** `mandate audit verify` on the server's state directory, from another process, while it runs. */
async function verifyWithCli(m: HttpMandate): Promise<void> {
  const count = await m.runtime.services.store.auditCount();
  const v = await mandateAsync(['audit', 'verify'], cliEnv(m));
  expect(v.stderr).not.toMatch(/broken/);
  expect(v.code).toBe(0);
  expect(v.stdout).toContain(`verified ${count} records`);
  const all = await m.runtime.services.store.readAudit();
  expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1));
}

describe('audit records of every path (default policy, approvals answered later)', () => {
  let m: HttpMandate;
  let demo: Agent;
  let reader: Agent;
  const calls: Called[] = [];
  beforeAll(async () => {
    // A pasted secret goes to a human here (not refused by the content guard), so the approval
    // path's records show how arguments are redacted.
    m = await startHttpMandate({ approvals: { waitSeconds: 0 }, agents: { reader: { readOnly: true }, 'demo-agent': { contentGuard: { secrets: 'approve' } } } });
    demo = await agentOn(m, 'demo-agent');
    reader = await agentOn(m, 'reader');
  });
  afterAll(async () => {
    await demo?.client.close().catch(() => undefined);
    await reader?.client.close().catch(() => undefined);
    await m?.close();
  });

  it('MCP-META-KEYS allowed: received → executed under the result\'s mandate/call_id, with the per-tool token\'s jti, aud, scope, exp and never the token', async () => {
    const args = { limit: 5 };
    const c = await call(m, demo, 'slack_list_channels', args);
    calls.push(c);
    expect(c.isError).toBe(false);
    expectAttributed(m, demo, c, args);
    expect(c.records.map((r) => r.event)).toEqual(['received', 'executed']);
    const [received, executed] = c.records as [AuditRecord, AuditRecord];
    expect(received).toMatchObject({ tool: 'slack_list_channels', access: 'read', token: null, args, outcome: null });
    expect(executed).toMatchObject({ outcome: 'ok', decision: 'allow', error_code: null, args });
    expect(Object.keys(executed.token!).sort()).toEqual(['aud', 'exp', 'jti', 'scope']);
    expect(executed.token).toMatchObject({ aud: 'https://slack.com/api', scope: 'channels:read' });
    const now = Date.now() / 1000;
    expect(executed.token!.exp).toBeGreaterThan(now);
    expect(executed.token!.exp).toBeLessThan(now + 3600); // minutes, not days
    // The jti is the one of the token the upstream actually received.
    const sent = m.runtime.sandbox!.emulators.slack.requests.at(-1)!.token!;
    expect(decodeJwt(sent).jti).toBe(executed.token!.jti);
    expect(JSON.stringify(c.records)).not.toContain(sent);
  });

  it('MCP-TOOL-INERR invalid arguments: received → failed invalid_arguments, the bad arguments kept for the reviewer', async () => {
    const args = { channel: '#general', limit: 'lots' };
    const c = await call(m, demo, 'slack_read_history', args);
    calls.push(c);
    expect(c.result.error.code).toBe('invalid_arguments');
    expectAttributed(m, demo, c, args);
    expect(c.records.map((r) => r.event)).toEqual(['received', 'failed']);
    expect(c.records[1]).toMatchObject({ outcome: 'error', error_code: 'invalid_arguments', args, token: null });
    expect(c.records[1]!.reason).toContain('limit');
  });

  it('denied: a destructive tool under the default policy → received → denied capability_denied; nothing upstream', async () => {
    const before = m.runtime.sandbox!.emulators.calendar.requests.length;
    const args = { event_id: 'evt_does_not_matter' };
    const c = await call(m, demo, 'calendar_delete_event', args);
    calls.push(c);
    expect(c.result.error.code).toBe('capability_denied');
    expectAttributed(m, demo, c, args);
    expect(c.records.map((r) => r.event)).toEqual(['received', 'denied']);
    expect(c.records[1]).toMatchObject({ access: 'destructive', decision: 'deny', outcome: 'error', error_code: 'capability_denied', token: null });
    expect(m.runtime.sandbox!.emulators.calendar.requests.length).toBe(before);
  });

  it('read-only: a readOnly agent writing → received → denied read_only, attributed to that agent', async () => {
    const args = { channel: '#general', text: 'a reader trying to write' };
    const c = await call(m, reader, 'slack_post_message', args);
    calls.push(c);
    expect(c.result.error.code).toBe('read_only');
    expectAttributed(m, reader, c, args);
    expect(c.records.map((r) => r.event)).toEqual(['received', 'denied']);
    expect(c.records[1]).toMatchObject({ access: 'write', decision: 'deny', error_code: 'read_only' });
  });

  it('approval: requested → approved with `mandate approvals approve` → executed on the identical retry, args redacted', async () => {
    const slackKey = ['xoxb', '2048123456', 'ABCDEFGHIJKLmnopqrst'].join('-');
    const args = { channel: '#support-updates', text: `Deploy finished. (CI used ${slackKey})` };
    const first = await call(m, demo, 'slack_post_message', args);
    calls.push(first);
    expect(first.result.error.code).toBe('approval_pending');
    const approvalId = first.result.error.approval_id as string;
    expect(approvalId).toMatch(/^apr_/);
    expectAttributed(m, demo, first, args);
    expect(first.records.map((r) => r.event)).toEqual(['received', 'approval_requested', 'failed']);
    expect(first.records[1]).toMatchObject({ decision: 'approve', outcome: 'pending', approval_id: approvalId });
    expect(first.records[2]).toMatchObject({ outcome: 'pending', error_code: 'approval_pending', approval_id: approvalId });
    for (const r of first.records) {
      expect(r.args).toEqual({ channel: '#support-updates', text: 'Deploy finished. (CI used [redacted])' });
    }

    const env = cliEnv(m);
    const approve = await mandateAsync(['approvals', 'approve', approvalId], env);
    expect(approve.stderr).toBe('');
    expect(approve.code).toBe(0);

    const retry = await call(m, demo, 'slack_post_message', args);
    calls.push(retry);
    expect(retry.isError).toBe(false);
    expect(retry.callId).not.toBe(first.callId);
    expect(retry.requestId).not.toBe(first.requestId);
    expectAttributed(m, demo, retry, args); // same args_digest as the first call
    expect(retry.records.map((r) => r.event)).toEqual(['received', 'approved', 'executed']);
    expect(retry.records[1]).toMatchObject({ decision: 'approve', approval_id: approvalId });
    // The owner of the state directory decided, on the CLI; the decision is a record of the
    // requesting call carrying the signed receipt, which the retry's records reference.
    expect(retry.records[1]!.approver).toMatch(/^os:\S+$/);
    const decided = (await m.runtime.services.store.readAudit({ callId: approvalId })).find((r) => r.event === 'approval_decided');
    expect(decided).toMatchObject({ approval_id: approvalId, decision: 'approved', approver: retry.records[1]!.approver, receipt: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/) });
    const ref = receiptRef(decided!.receipt!);
    expect(retry.records[1]!.receipt).toBe(ref);
    expect(retry.records[2]).toMatchObject({ outcome: 'ok', approval_id: approvalId, receipt: ref, token: { aud: 'https://slack.com/api' } });
    // The per-tool token carried that tool's minimal scopes, nothing more.
    const scopes = m.runtime.services.toolByName.get('slack_post_message')!.scopes;
    expect(retry.records[2]!.token!.scope!.split(' ').sort()).toEqual([...scopes].sort());
    expect(JSON.stringify([...first.records, ...retry.records])).not.toContain(slackKey);
  });

  it('upstream error: an injected HTTP 500 → received → failed upstream_error, with the token that was used', async () => {
    m.runtime.sandbox!.emulators.crm.inject({ kind: 'status', status: 500, count: 1 });
    const args = { limit: 3 };
    const c = await call(m, demo, 'crm_list_deals', args);
    calls.push(c);
    expect(c.result.error.code).toBe('upstream_error');
    expectAttributed(m, demo, c, args);
    expect(c.records.map((r) => r.event)).toEqual(['received', 'failed']);
    expect(c.records[1]).toMatchObject({ outcome: 'error', error_code: 'upstream_error', token: { aud: 'https://api.hubapi.com' } });
    expect(c.records[1]!.reason).toBeTruthy();
  });

  it('token unavailable: the authorization server gone, a tool with no cached token → failed token_unavailable', async () => {
    await m.runtime.identity.authz!.close();
    const before = m.runtime.sandbox!.emulators.calendar.requests.length;
    const args = { limit: 5 };
    const c = await call(m, demo, 'calendar_list_events', args);
    calls.push(c);
    expect(c.result.error.code).toBe('token_unavailable');
    expectAttributed(m, demo, c, args);
    expect(c.records.map((r) => r.event)).toEqual(['received', 'failed']);
    expect(c.records[1]).toMatchObject({ outcome: 'error', error_code: 'token_unavailable', token: null });
    expect(m.runtime.sandbox!.emulators.calendar.requests.length).toBe(before);
  });

  it('no record holds a token; every call id is distinct; `mandate audit verify` passes on the trail', async () => {
    const tokens = issuedTokens(m, [demo, reader]);
    expect(tokens.length).toBeGreaterThanOrEqual(4);
    const all = JSON.stringify(await m.runtime.services.store.readAudit());
    for (const t of tokens) expect(all.includes(t), `a token in the trail: ${t.slice(0, 12)}…`).toBe(false);
    expect(new Set(calls.map((c) => c.callId)).size).toBe(calls.length);
    // Sandbox calls act in no provider account: the optional `account` field is absent (and unhashed).
    const withAccount = (await m.runtime.services.store.readAudit()).filter((r) => Object.hasOwn(r, 'account'));
    expect(withAccount.map((r) => r.call_id)).toEqual([]);
    await verifyWithCli(m);
  });
});

describe('audit records of approvals decided while the call waits', () => {
  let waiting: HttpMandate;
  let expiring: HttpMandate;
  let onWaiting: Agent;
  let onExpiring: Agent;
  beforeAll(async () => {
    // waitSeconds only bounds the wait: the deny below ends it at once.
    [waiting, expiring] = await Promise.all([
      startHttpMandate({ approvals: { waitSeconds: 30 } }),
      startHttpMandate({ approvals: { waitSeconds: 2, ttlSeconds: 1 } }),
    ]);
    [onWaiting, onExpiring] = await Promise.all([agentOn(waiting, 'demo-agent'), agentOn(expiring, 'demo-agent')]);
  });
  afterAll(async () => {
    await onWaiting?.client.close().catch(() => undefined);
    await onExpiring?.client.close().catch(() => undefined);
    await waiting?.close();
    await expiring?.close();
  });

  it('rejected: `mandate approvals deny --reason` while it waits → received → approval_requested → rejected with the reason', async () => {
    const args = { channel: '#support-updates', text: 'Announcing the outage cause' };
    const pending = call(waiting, onWaiting, 'slack_post_message', args);
    let approvalId: string | undefined;
    for (let i = 0; i < 200 && !approvalId; i++) {
      approvalId = (await waiting.runtime.services.store.listApprovals({ status: 'pending' }))[0]?.approval_id;
      if (!approvalId) await new Promise((r) => setTimeout(r, 50));
    }
    expect(approvalId).toBeDefined();
    const deny = await mandateAsync(['approvals', 'deny', approvalId!, '--reason', 'not before legal has seen it'], cliEnv(waiting));
    expect(deny.code).toBe(0);

    const c = await pending;
    expect(c.result.error.code).toBe('approval_rejected');
    expectAttributed(waiting, onWaiting, c, args);
    expect(c.records.map((r) => r.event)).toEqual(['received', 'approval_requested', 'rejected']);
    expect(c.records[2]).toMatchObject({ outcome: 'error', error_code: 'approval_rejected', approval_id: approvalId, token: null });
    expect(c.records[2]!.reason).toContain('not before legal has seen it');
    const [decided] = await waiting.runtime.services.store.readAudit({ callId: approvalId! });
    expect(decided).toMatchObject({ event: 'approval_decided', decision: 'rejected', seq: c.records[1]!.seq + 1, reason: 'rejected via cli: not before legal has seen it' });
    expect(waiting.runtime.sandbox!.emulators.slack.requests.length).toBe(0);
    await verifyWithCli(waiting);
  });

  it('expired: no decision within ttlSeconds → received → approval_requested → failed approval_expired', async () => {
    const args = { channel: '#support-updates', text: 'Will nobody answer?' };
    const c = await call(expiring, onExpiring, 'slack_post_message', args);
    expect(c.result.error.code).toBe('approval_expired');
    expectAttributed(expiring, onExpiring, c, args);
    expect(c.records.map((r) => r.event)).toEqual(['received', 'approval_requested', 'failed']);
    expect(c.records[2]).toMatchObject({ outcome: 'error', error_code: 'approval_expired', approval_id: c.records[1]!.approval_id });
    expect(c.records[1]!.approval_id).toMatch(/^apr_/);
    await verifyWithCli(expiring);
  });
});
