// A model-based test of the whole guard (issue #17). The model is the policy, approvals,
// revocations, rate limits and the clock as a user would describe them; the real system is the
// pipeline behind the MCP server, over a real SQLite store in a temp dir, the embedded
// authorization server and the sandbox emulators, driven by the SDK's Client over an in-memory
// transport. fast-check generates command sequences (configure, call, approve, deny, let time
// pass, revoke, restore, restart) and, after every command, checks:
//   - a call reached the upstream only when the model allows it, and answered what the model says;
//   - each approval was consumed at most once, and only by its exact call (tool, args, agent, user);
//   - every per-tool token an emulator received names that tool's API and no scope beyond the tool's;
//   - the audit chain verifies, and each call has exactly one outcome record.
// Runs: MANDATE_MODEL_RUNS (default 12); seed: MANDATE_MODEL_SEED (printed on every run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { allTools } from '../../tools/index.js';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime, type Runtime } from '../../src/runtime/index.js';
import { createMcpServer } from '../../src/server/mcp.js';
import { ApprovalGate } from '../../src/approvals/gate.js';
import { homeReceiptSigner } from '../../src/audit/receipt.js';
import { loadAuditKey } from '../../src/audit/checkpoint.js';
import { revokeMandate } from '../../src/policy/revoke.js';
import { verifyStore } from '../../src/audit/verify.js';
import { runApprovals } from '../../src/cli/commands/approvals.js';
import { DEMO_USER } from '../../src/sandbox/index.js';
import type { UpstreamProvider } from '../../src/resources.js';

const RUNS = Number(process.env.MANDATE_MODEL_RUNS ?? 12);
const SEED = process.env.MANDATE_MODEL_SEED !== undefined ? Number(process.env.MANDATE_MODEL_SEED) : Date.now() % 2 ** 31;
const TTL_SECONDS = 60;
const RATE_LIMIT = 2;

// ---------------------------------------------------------------- the world

const AGENTS = ['assistant', 'helper'] as const;
type Agent = (typeof AGENTS)[number];

/** The tools the model knows, each with the arguments a call may carry (few, so calls repeat). */
const TOOLS = {
  read: { name: 'crm_search_contacts', args: (v: number) => ({ query: v === 0 ? 'a' : 'e', limit: 2 }) },
  post: { name: 'slack_post_message', args: (v: number) => ({ channel: v % 2 === 0 ? '#support-updates' : '#general', text: `model check ${v >> 1}` }) },
  destroy: { name: 'calendar_delete_event', args: (v: number) => ({ event_id: `evt_missing_${v}`, send_updates: 'none' }) },
  list: { name: 'slack_list_channels', args: (v: number) => ({ limit: 5 + v }) },
} as const;
type ToolKey = keyof typeof TOOLS;
const TOOL_KEYS = Object.keys(TOOLS) as ToolKey[];
const toolDef = (name: string) => allTools.find((t) => t.name === name)!;

type Cap = 'allow' | 'approve' | 'deny';
interface AgentRules {
  readOnly: boolean;
  /** The capability written for a tool's exact key (undefined: none written). */
  caps: Partial<Record<ToolKey, Cap>>;
  /** A `slack_*` pattern rule (undefined: none). */
  slackPattern?: Cap;
  /** slack_post_message limited to #support-updates (only with an exact post rule). */
  channels: boolean;
}
type Rules = Record<Agent, AgentRules>;

/** The config file a user would write for these rules. */
function configOf(rules: Rules): Record<string, unknown> {
  const agents: Record<string, unknown> = {};
  for (const a of AGENTS) {
    const r = rules[a];
    const tools: Record<string, unknown> = {};
    if (r.slackPattern) tools['slack_*'] = r.slackPattern;
    for (const k of TOOL_KEYS) {
      const cap = r.caps[k];
      if (!cap) continue;
      if (k === 'post' && r.channels) tools[TOOLS[k].name] = { capability: cap, channels: ['#support-updates'] };
      else if (k === 'list') tools[TOOLS[k].name] = { capability: cap, rate: `${RATE_LIMIT}/day` };
      else tools[TOOLS[k].name] = cap;
    }
    agents[a] = { ...(r.readOnly ? { readOnly: true } : {}), tools };
  }
  return { agents, approvals: { waitSeconds: 0, ttlSeconds: TTL_SECONDS } };
}

// ---------------------------------------------------------------- the model

type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'used' | 'cancelled' | 'expired';
interface ModelApproval {
  id: string;
  agent: Agent;
  tool: ToolKey;
  args: string;
  status: ApprovalStatus;
  expiresAt: number;
  decidedOrder: number;
  rejectionReported: boolean;
}

interface Model {
  rules: Rules;
  delegationRevoked: Record<Agent, boolean>;
  toolRevoked: Record<Agent, Set<ToolKey>>;
  approvals: ModelApproval[];
  /** Calls counted against the list tool's rate, per agent (the window is a day: it never rolls over in a run). */
  rateHits: Record<Agent, number>;
  /** Seconds the approvals' clock is ahead of real time. */
  clock: number;
  decisions: number;
  /** The last call made, for a command that repeats it (what an agent does after an approval). */
  lastCall?: { agent: Agent; tool: ToolKey; variant: number };
}

/** What the model says a call comes to: it runs, or it ends with this error code. */
type Expected = { kind: 'runs' } | { kind: 'refused'; code: string } | { kind: 'pending'; reuse?: string };

function capabilityOf(r: AgentRules, k: ToolKey): Cap | 'default' {
  const exact = r.caps[k];
  if (exact) return exact;
  if (TOOLS[k].name.startsWith('slack_') && r.slackPattern) return r.slackPattern;
  return 'default';
}

/** Whether a rate limit applies to this call: only an exact list rule carries one. */
const rateApplies = (r: AgentRules, k: ToolKey) => k === 'list' && r.caps.list !== undefined;

function liveStatus(m: Model, a: ModelApproval): ApprovalStatus {
  return (a.status === 'pending' || a.status === 'approved') && m.clock * 1000 + Date.now() >= a.expiresAt ? 'expired' : a.status;
}

/** Predicts a call, and updates the model as the guard would. */
function modelCall(m: Model, agent: Agent, k: ToolKey, args: string): Expected {
  const r = m.rules[agent];
  const tool = toolDef(TOOLS[k].name);
  if (m.delegationRevoked[agent]) return { kind: 'refused', code: 'delegation_revoked' };
  if (m.toolRevoked[agent].has(k)) return { kind: 'refused', code: 'capability_denied' };
  if (r.readOnly && tool.access === 'write') return { kind: 'refused', code: 'read_only' };
  let cap = capabilityOf(r, k);
  if (cap === 'default') cap = tool.destructive ? 'deny' : tool.access === 'write' ? 'approve' : 'allow';
  if (cap === 'deny') return { kind: 'refused', code: 'capability_denied' };
  if (k === 'post' && r.caps.post && r.channels && !args.includes('"#support-updates"')) return { kind: 'refused', code: 'constraint_violation' };
  if (rateApplies(r, k) && m.rateHits[agent] >= RATE_LIMIT) return { kind: 'refused', code: 'rate_limited' };
  if (cap === 'approve') {
    for (const a of m.approvals) a.status = liveStatus(m, a);
    const mine = m.approvals.filter((a) => a.agent === agent && a.tool === k && a.args === args);
    const approved = mine.find((a) => a.status === 'approved');
    if (approved) {
      approved.status = 'used';
    } else {
      const latestRejected = mine.filter((a) => a.status === 'rejected').sort((x, y) => y.decidedOrder - x.decidedOrder)[0];
      if (latestRejected && !latestRejected.rejectionReported) {
        latestRejected.rejectionReported = true;
        return { kind: 'refused', code: 'approval_rejected' };
      }
      const open = mine.find((a) => a.status === 'pending');
      return open ? { kind: 'pending', reuse: open.id } : { kind: 'pending' };
    }
  }
  if (rateApplies(r, k)) m.rateHits[agent] += 1;
  return { kind: 'runs' };
}

// ---------------------------------------------------------------- the real system

interface Real {
  home: string;
  configFile: string;
  runtime: Runtime;
  clients: Record<Agent, Client>;
  clock: { seconds: number };
  /** Every call made in this run, by call_id: what it was. */
  calls: Map<string, { agent: Agent; tool: string; args: string }>;
  /** Requests already checked, per emulator. */
  seen: Record<UpstreamProvider, number>;
  closed: boolean;
}

const silentIo = (home: string) => {
  let out = '';
  const sink = () => new Writable({ write(chunk, _e, cb) { out += String(chunk); cb(); } });
  return { io: { stdout: sink(), stderr: sink(), env: process.env, home }, text: () => out };
};

async function boot(real: Omit<Real, 'runtime' | 'clients'> & Partial<Pick<Real, 'runtime' | 'clients'>>): Promise<void> {
  const config = parseConfig(JSON.parse(fs.readFileSync(real.configFile, 'utf8')));
  const runtime = await startRuntime({
    home: real.home, config, logger: silentLogger(), mcpResource: 'http://127.0.0.1/mcp', configFile: real.configFile, policyPollMs: 10,
  });
  // The approvals' clock can be moved forward ("time passes"); everything else reads the real one.
  runtime.services.approvals = new ApprovalGate({ store: runtime.services.store, signer: homeReceiptSigner(real.home) }, {
    waitSeconds: 0, ttlSeconds: TTL_SECONDS, now: () => new Date(Date.now() + real.clock.seconds * 1000),
  });
  const clients = {} as Record<Agent, Client>;
  for (const agent of AGENTS) {
    const identity = await runtime.identity.stdioIdentity(agent, `model-${agent}`);
    const server = createMcpServer(runtime.services, identity, runtime.policy);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: `model-${agent}`, version: '1.0.0' });
    await client.connect(clientSide);
    clients[agent] = client;
  }
  real.runtime = runtime;
  real.clients = clients;
  real.seen = { slack: runtime.sandbox!.emulators.slack.requests.length, crm: runtime.sandbox!.emulators.crm.requests.length, calendar: runtime.sandbox!.emulators.calendar.requests.length };
}

async function shutdown(real: Real): Promise<void> {
  if (real.closed) return;
  real.closed = true;
  for (const c of Object.values(real.clients)) await c.close().catch(() => undefined);
  await real.runtime.close();
}

/** Writes the config file and waits until the running server applied it (the same path an edit by hand takes). */
async function applyConfig(real: Real, rules: Rules): Promise<void> {
  const text = JSON.stringify(configOf(rules), null, 2);
  const before = fs.statSync(real.configFile).mtimeMs;
  fs.writeFileSync(real.configFile, text);
  const t = new Date(Math.max(Date.now(), before + 1000));
  fs.utimesSync(real.configFile, t, t); // a distinct mtime, even for two edits within one clock tick
  const want = JSON.stringify(parseConfig(JSON.parse(text)).agents);
  for (let i = 0; i < 500; i++) {
    if (JSON.stringify(real.runtime.services.config.agents) === want) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the server did not apply the edited config');
}

/** The invariants that hold after every command, whatever the model says. */
async function checkInvariants(real: Real): Promise<void> {
  const store = real.runtime.services.store;
  // Decisions carry signed receipts: verify checks each against the audit key of this home.
  const key = await loadAuditKey(real.home);
  const verified = await verifyStore(store, null, { receiptKey: key?.publicKey ?? null });
  expect(verified, 'the audit chain verifies').toMatchObject({ ok: true });
  // Each approval ran at most one call, and only its own: same tool, arguments, agent and user.
  const executed = await store.readAudit({ event: 'executed' });
  const byApproval = new Map<string, number>();
  for (const rec of executed) {
    if (!rec.approval_id) continue;
    byApproval.set(rec.approval_id, (byApproval.get(rec.approval_id) ?? 0) + 1);
    const approval = await store.getApproval(rec.approval_id);
    expect(approval, `approval ${rec.approval_id} exists`).not.toBeNull();
    expect({ tool: rec.tool, digest: rec.args_digest, agent: rec.agent, user: rec.user }, 'an approval runs only its exact call').toEqual({
      tool: approval!.tool, digest: approval!.args_digest, agent: approval!.agent, user: approval!.user,
    });
    expect(approval!.status, 'a consumed approval is used').toBe('used');
  }
  for (const [id, n] of byApproval) expect(n, `approval ${id} consumed at most once`).toBe(1);
}

/** Every request an emulator received since the last look: the per-tool token it carried, decoded. */
function newRequests(real: Real): Array<{ provider: UpstreamProvider; claims: Record<string, unknown> | null }> {
  const out: Array<{ provider: UpstreamProvider; claims: Record<string, unknown> | null }> = [];
  for (const provider of ['slack', 'crm', 'calendar'] as const) {
    const log = real.runtime.sandbox!.emulators[provider].requests;
    for (const req of log.slice(real.seen[provider])) {
      let claims: Record<string, unknown> | null = null;
      try { claims = req.token ? (decodeJwt(req.token) as Record<string, unknown>) : null; } catch { claims = null; }
      out.push({ provider, claims });
    }
    real.seen[provider] = log.length;
  }
  return out;
}

// ---------------------------------------------------------------- commands

type Cmd = fc.AsyncCommand<Model, Real>;

class RepeatCallCommand implements Cmd {
  check = (m: Readonly<Model>) => m.lastCall !== undefined;
  async run(m: Model, real: Real): Promise<void> {
    const { agent, tool, variant } = m.lastCall!;
    await new CallCommand(agent, tool, variant).run(m, real);
  }
  toString = () => 'repeat the last call';
}

class CallCommand implements Cmd {
  constructor(readonly agent: Agent, readonly tool: ToolKey, readonly variant: number) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    m.lastCall = { agent: this.agent, tool: this.tool, variant: this.variant };
    const { name } = TOOLS[this.tool];
    const args = TOOLS[this.tool].args(this.variant) as Record<string, unknown>;
    const argsKey = JSON.stringify(args);
    newRequests(real); // whatever came before is not this call's
    const expected = modelCall(m, this.agent, this.tool, argsKey);
    const result = await real.clients[this.agent].callTool({ name, arguments: args });
    const sc = (result.structuredContent ?? {}) as { error?: { code: string; call_id: string; approval_id?: string } };
    const callId = (result._meta?.['mandate/call_id'] as string | undefined) ?? sc.error?.call_id;
    expect(callId, 'every result carries its call_id').toBeTruthy();
    real.calls.set(callId!, { agent: this.agent, tool: name, args: argsKey });
    const requests = newRequests(real);
    const code = result.isError ? sc.error?.code : 'ok';
    const tool = toolDef(name);
    tally(`${this.tool}:${code}`);

    if (expected.kind === 'runs') {
      expect(requests.length, `${this.toString()} reached the upstream (answered ${code})`).toBeGreaterThan(0);
      expect(['ok', 'upstream_error'], `${this.toString()} ran`).toContain(code);
    } else {
      expect(requests, `${this.toString()} must not reach the upstream`).toEqual([]);
      const want = expected.kind === 'pending' ? 'approval_pending' : expected.code;
      expect(code, this.toString()).toBe(want);
    }
    if (expected.kind === 'pending') {
      const id = sc.error?.approval_id;
      expect(id, 'approval_pending names its approval').toMatch(/^apr_/);
      if (expected.reuse) expect(id, 'an identical call waits on the same request').toBe(expected.reuse);
      else {
        expect(m.approvals.some((a) => a.id === id), 'a new request has a new id').toBe(false);
        const stored = await real.runtime.services.store.getApproval(id!);
        m.approvals.push({
          id: id!, agent: this.agent, tool: this.tool, args: argsKey, status: 'pending',
          expiresAt: Date.parse(stored!.expires_at), decidedOrder: 0, rejectionReported: false,
        });
      }
    }
    // Per-tool tokens: the tool's own API, no scope beyond the tool's, the user and this agent.
    for (const r of requests) {
      expect(r.provider).toBe(tool.provider);
      expect(r.claims, 'the upstream got a JWT').not.toBeNull();
      const aud = r.claims!.aud;
      expect(Array.isArray(aud) ? aud : [aud], 'audience: this tool’s API only').toEqual([tool.resource]);
      const scopes = String(r.claims!.scope ?? '').split(' ').filter(Boolean);
      for (const s of scopes) expect(tool.scopes, `scope ${s} is one of ${name}'s`).toContain(s);
      expect(r.claims!.sub).toBe(DEMO_USER.id);
      expect((r.claims!.act as { sub?: string } | undefined)?.sub, 'the actor is the calling agent').toBe(this.agent);
    }
    // Exactly one outcome record for this call, written before the result came back.
    const records = await real.runtime.services.store.readAudit({ callId: callId! });
    const outcomes = records.filter((rec) => ['executed', 'failed', 'denied', 'rejected'].includes(rec.event));
    expect(outcomes.map((o) => o.event), `one outcome record for ${callId}`).toHaveLength(1);
    expect(records.every((rec) => rec.agent === this.agent && rec.user === DEMO_USER.id), 'records name the agent and user').toBe(true);
    await checkInvariants(real);
  }
  toString = () => `call(${this.agent}, ${TOOLS[this.tool].name}, ${JSON.stringify(TOOLS[this.tool].args(this.variant))})`;
}

class DecideCommand implements Cmd {
  constructor(readonly decision: 'approve' | 'deny', readonly pick: number) {}
  check = (m: Readonly<Model>) => m.approvals.length > 0;
  async run(m: Model, real: Real): Promise<void> {
    const a = m.approvals[m.approvals.length - 1 - (this.pick % m.approvals.length)]!; // the latest first
    // The expiry below marks every approval past its time as expired, not only this one.
    for (const x of m.approvals) x.status = liveStatus(m, x);
    // The human's clock is the approvals' clock: what expired there is expired for the CLI too.
    await real.runtime.services.store.expireApprovals(new Date(Date.now() + real.clock.seconds * 1000));
    const { io, text } = silentIo(real.home);
    const code = await runApprovals(this.decision === 'approve' ? ['approve', a.id] : ['deny', a.id, '--reason', 'model says no'], io);
    if (a.status === 'pending') {
      expect(code, `${this.toString()}: ${text()}`).toBe(0);
      a.status = this.decision === 'approve' ? 'approved' : 'rejected';
      a.decidedOrder = ++m.decisions;
    } else {
      expect(code, `${this.toString()} on a ${a.status} approval is refused: ${text()}`).toBe(1);
    }
    expect((await real.runtime.services.store.getApproval(a.id))?.status).toBe(a.status);
    await checkInvariants(real);
  }
  toString = () => `${this.decision}(latest - ${this.pick})`;
}

class TimePassesCommand implements Cmd {
  constructor(readonly seconds: number) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    m.clock += this.seconds;
    real.clock.seconds += this.seconds;
  }
  toString = () => `time passes ${this.seconds} s`;
}

class RevokeCommand implements Cmd {
  constructor(readonly agent: Agent, readonly tool: ToolKey | null) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    const name = this.tool ? TOOLS[this.tool].name : null;
    await revokeMandate(real.runtime.services.store, { agent: this.agent, tool: name, by: 'model (test)', reason: 'model' });
    if (this.tool) m.toolRevoked[this.agent].add(this.tool);
    else m.delegationRevoked[this.agent] = true;
    for (const a of m.approvals) {
      if (a.agent === this.agent && (this.tool === null || a.tool === this.tool) && (a.status === 'pending' || a.status === 'approved')) a.status = 'cancelled';
    }
    await checkInvariants(real);
  }
  toString = () => `revoke(${this.agent}${this.tool ? `, ${TOOLS[this.tool].name}` : ''})`;
}

class RestoreCommand implements Cmd {
  constructor(readonly agent: Agent, readonly tool: ToolKey | null) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    await real.runtime.services.store.unrevoke({ agent: this.agent, tool: this.tool ? TOOLS[this.tool].name : null });
    if (this.tool) m.toolRevoked[this.agent].delete(this.tool);
    else {
      m.delegationRevoked[this.agent] = false;
      m.toolRevoked[this.agent].clear();
    }
  }
  toString = () => `restore(${this.agent}${this.tool ? `, ${TOOLS[this.tool].name}` : ''})`;
}

class ConfigureCommand implements Cmd {
  constructor(readonly rules: Rules) {}
  check = () => true;
  async run(m: Model, real: Real): Promise<void> {
    await applyConfig(real, this.rules);
    m.rules = this.rules;
  }
  toString = () => `configure(${JSON.stringify(configOf(this.rules).agents)})`;
}

class RestartCommand implements Cmd {
  check = () => true;
  async run(_m: Model, real: Real): Promise<void> {
    await shutdown(real);
    real.closed = false;
    await boot(real);
    await checkInvariants(real);
  }
  toString = () => 'restart';
}

// ---------------------------------------------------------------- generators

const agentArb = fc.constantFrom(...AGENTS);
const toolArb = fc.constantFrom(...TOOL_KEYS);
const capArb = fc.constantFrom<Cap | undefined>(undefined, 'allow', 'approve', 'deny');
const agentRulesArb: fc.Arbitrary<AgentRules> = fc.record({
  readOnly: fc.constantFrom(false, false, false, true),
  caps: fc.record({ read: capArb, post: capArb, destroy: capArb, list: capArb }).map((c) => {
    const out: Partial<Record<ToolKey, Cap>> = {};
    for (const k of TOOL_KEYS) if (c[k]) out[k] = c[k];
    return out;
  }),
  slackPattern: capArb,
  channels: fc.boolean(),
}).map((r) => (r.slackPattern ? r : { ...r, slackPattern: undefined }));
const rulesArb: fc.Arbitrary<Rules> = fc.record({ assistant: agentRulesArb, helper: agentRulesArb });

const callArb = fc.tuple(agentArb, toolArb, fc.integer({ min: 0, max: 2 })).map(([a, t, v]) => new CallCommand(a, t, v));
const commands = [
  callArb, callArb, callArb,
  fc.constant(new RepeatCallCommand()), fc.constant(new RepeatCallCommand()),
  fc.nat(2).map((i) => new DecideCommand('approve', i)),
  fc.nat(2).map((i) => new DecideCommand('approve', i)),
  fc.nat(2).map((i) => new DecideCommand('deny', i)),
  fc.constantFrom(10, 30, TTL_SECONDS + 1).map((s) => new TimePassesCommand(s)),
  fc.tuple(agentArb, fc.option(toolArb, { nil: null })).map(([a, t]) => new RevokeCommand(a, t)),
  fc.tuple(agentArb, fc.option(toolArb, { nil: null })).map(([a, t]) => new RestoreCommand(a, t)),
  rulesArb.map((r) => new ConfigureCommand(r)),
];
const restartArb = fc.constant(new RestartCommand());

// ---------------------------------------------------------------- the property

const homes: string[] = [];
/** How often each outcome was seen, to tell a run that tested something from one that did not. */
const seen = new Map<string, number>();
const tally = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);
afterAll(() => {
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
});

describe('the guard, against its model', () => {
  it(`holds its invariants over generated command sequences (${RUNS} runs, seed ${SEED})`, async () => {
    process.env.MANDATE_SECRETS ??= 'file';
    // eslint-disable-next-line no-console
    console.log(`guard model: seed ${SEED}, ${RUNS} runs (MANDATE_MODEL_SEED=${SEED} MANDATE_MODEL_RUNS=${RUNS} to replay)`);
    await fc.assert(
      fc.asyncProperty(
        rulesArb,
        fc.commands([...commands, restartArb], { maxCommands: 40, size: 'medium' }),
        async (initial, cmds) => {
          const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-model-'));
          homes.push(home);
          const configFile = path.join(home, 'config.json');
          fs.writeFileSync(configFile, JSON.stringify(configOf(initial)));
          const real = { home, configFile, clock: { seconds: 0 }, calls: new Map(), seen: { slack: 0, crm: 0, calendar: 0 }, closed: false } as unknown as Real;
          await boot(real);
          const model: Model = {
            rules: initial,
            delegationRevoked: { assistant: false, helper: false },
            toolRevoked: { assistant: new Set(), helper: new Set() },
            approvals: [], rateHits: { assistant: 0, helper: 0 }, clock: 0, decisions: 0,
          };
          try {
            await fc.asyncModelRun(() => ({ model, real }), cmds);
          } finally {
            await shutdown(real);
          }
        },
      ),
      { numRuns: RUNS, seed: SEED, verbose: 0 },
    );
    // eslint-disable-next-line no-console
    console.log(`guard model: outcomes seen ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
  }, 600_000);
});
