// The path of one tool call, as one table: each step does one thing and either passes the
// call on or ends it with a contract error. Every end writes its audit record durably before
// the result goes back.
import { newCallId } from './call-id.js';
import { inputRequired, inputResponse, ProtocolError, ProtocolErrorCode, type CallToolResult, type InputRequiredResult } from '@modelcontextprotocol/server';
import type { AnyTool } from '../../tools/define.js';
import type { Identity } from '../identity/types.js';
import type { Services, TokenInfo } from './services.js';
import type { Logger } from '../log.js';
import type { AuditInput } from '../audit/record.js';
import { argsDigest } from '../audit/digest.js';
import { redactArgs } from '../audit/redact.js';
import { receiptRef } from '../audit/receipt.js';
import { decide, type Decision } from '../policy/decide.js';
import { matchRule } from '../policy/match.js';
import {
  ApprovalExpired, ApprovalPending, ApprovalRejected, CapabilityDenied, ConstraintViolation, DelegationRevoked,
  AccountUnavailable, InvalidArguments, MandateError, RateLimited, ReadOnly, UpstreamError, asMandateError, toErrorResult,
} from '../errors.js';
import { validateArguments, validateOutput } from './validate.js';
import { terminalSafeName } from '../terminal.js';
import { RequestStateRefused } from '../approvals/request-state.js';
import type { Approval } from '../store/types.js';
import { readIntent } from './intent.js';
import { guardContent, type GuardVerdict } from '../policy/content-guard.js';
import { ancestorsOf } from '../policy/config.js';
import { ContentGuardRefused } from '../errors.js';

/** What the transport knows about one `tools/call` request. */
export interface CallRequest {
  name: string;
  arguments: unknown;
  mcpRequestId: string | number | null;
  signal: AbortSignal;
  progress?: (progress: number, message: string) => Promise<void>;
  elicit?: (summary: string) => Promise<'accept' | 'decline' | 'cancel'>;
  /** The request's `_meta["mandate/purpose"]` and `_meta["mandate/task_id"]`, as sent (checked by the pipeline). */
  meta?: { purpose?: unknown; taskId?: unknown; traceparent?: unknown; tracestate?: unknown };
  /**
   * A 2026-07-28 request: a human's approval is asked through an input-required result (a
   * URL-mode elicitation to the approval console, or a form where elicitation is trusted),
   * and the retry brings back the sealed `requestState` and the client's `inputResponses`.
   */
  input?: {
    responses?: Record<string, unknown>;
    state?: string;
    /** The client declared form (`form`) and URL-mode (`url`) elicitation in this request. */
    form: boolean;
    url: boolean;
  };
}

/** The key of the one input request an approval asks for. */
export const APPROVAL_INPUT = 'approval';

/** Ends a call with an input-required result (not an error: the client answers and retries). */
class InputNeeded extends Error {
  constructor(readonly result: InputRequiredResult) {
    super('input required');
  }
}

/** The state of a call as it moves through the steps. */
interface CallState {
  readonly callId: string;
  readonly startedAt: number;
  readonly identity: Identity;
  readonly req: CallRequest;
  tool?: AnyTool;
  args?: Record<string, unknown>;
  digest?: string;
  displayArgs?: unknown;
  decision?: Decision;
  /** The approval this call asked for or spent; `receipt` the reference of the receipt it spent. */
  approval?: { id: string; approver: string | null; receipt?: string };
  token?: TokenInfo | null;
  result?: Record<string, unknown>;
  /** A read's `received` record while it commits (see recordReceived). */
  received?: Promise<unknown>;
  /** The revocation in force when the call arrived (looked up once; undefined until then). */
  revocation?: { scope: 'delegation' | 'tool' } | null;
  /** The revocations in force for the agent's ancestors (parent agents), looked up once. */
  ancestorsRevoked?: Record<string, 'delegation' | 'tool' | null>;
  /** This call's logger (call_id, session_id, agent, tool), also handed to the tool. */
  log?: Logger;
  /** The provider account the call acts in, and whose it turned out to be (real accounts). */
  account?: { name: string; identity?: string };
  /** Why the call was made and its task, as the client said (checked). */
  purpose?: string;
  taskId?: string;
  /** What the outbound content guard found in a write, when it found anything. */
  guard?: GuardVerdict;
}

type Step = (s: Services, c: CallState) => Promise<void>;

/** The pipeline, in order. A step throws a MandateError to end the call. */
const STEPS: ReadonlyArray<[name: string, step: Step]> = [
  ['resolve tool', resolveTool],
  ['record received', recordReceived],
  ['check capability', checkCapability],
  ['validate arguments', validate],
  ['check constraints and rate', checkConstraints],
  ['guard outbound content', checkContent],
  ['await approval', awaitApproval],
  ['count rate', countRate],
  ['execute with per-tool token', execute],
];

/** Runs one tool call through every step and returns the result the model sees. */
export async function runToolCall(services: Services, identity: Identity, req: CallRequest): Promise<CallToolResult | InputRequiredResult> {
  const call: CallState = { callId: newCallId(), startedAt: Date.now(), identity, req };
  const tool = services.toolByName.has(req.name) ? req.name : unknownToolName(req.name);
  const log = (call.log = services.logger.child({ call_id: call.callId, session_id: identity.sessionId, agent: identity.agent, tool }));
  const telemetry = services.telemetry ? callTelemetry(services.telemetry, call, tool) : undefined;
  try {
    for (const [name, step] of STEPS) {
      log.debug({ step: name }, 'step');
      if (telemetry) await telemetry.step(name, () => step(services, call));
      else await step(services, call);
    }
    telemetry?.end({ decision: call.decision?.effect ?? 'allow', outcome: 'ok', errorCode: null });
    await Promise.all([call.received, services.audit.record(auditInput(services, call, {
      event: 'executed', outcome: 'ok', decision: call.decision?.effect ?? 'allow',
    }))]);
    log.info({ duration_ms: Date.now() - call.startedAt }, 'tool call executed');
    const structured = call.result ?? {};
    return {
      content: [{ type: 'text', text: JSON.stringify(structured) }],
      structuredContent: structured,
      _meta: { 'mandate/call_id': call.callId },
    };
  } catch (err) {
    if (telemetry) {
      const code = err instanceof InputNeeded ? 'approval_pending' : err instanceof RequestStateRefused ? 'invalid_request_state' : asMandateError(err).code;
      const denied = REFUSED_CODES.includes(code) || code === 'invalid_request_state';
      telemetry.end({ decision: denied ? 'deny' : call.decision?.effect ?? null, outcome: denied ? 'denied' : code === 'approval_pending' ? 'pending' : 'error', errorCode: code });
    }
    if (err instanceof InputNeeded) {
      await Promise.all([call.received, services.audit.record(auditInput(services, call, {
        event: 'failed', outcome: 'pending', error_code: 'approval_pending', decision: 'approve',
        reason: 'asked the MCP client for the approval (input_required)',
      }))]);
      log.info({ duration_ms: Date.now() - call.startedAt }, 'tool call asked for input');
      return { ...err.result, _meta: { ...err.result._meta, 'mandate/call_id': call.callId } };
    }
    if (err instanceof RequestStateRefused) {
      // The state came back through the client: the detail is for the trail, the client hears
      // a plain refusal (JSON-RPC -32602) and may call again without it.
      await Promise.all([call.received, services.audit.record(auditInput(services, call, {
        event: 'denied', outcome: 'error', decision: 'deny', error_code: 'invalid_request_state',
        reason: `requestState refused (${err.reason}): ${err.message}`,
      }))]).catch((auditErr: unknown) => log.error({ err: auditErr }, 'audit write failed'));
      log.warn({ reason: err.reason }, 'refused a requestState');
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid requestState: ${err.message} (call_id ${call.callId})`, { reason: err.reason, call_id: call.callId });
    }
    const e = asMandateError(err);
    const refused = REFUSED_CODES.includes(e.code);
    try {
      await Promise.all([call.received, services.audit.record(auditInput(services, call, {
        event: e.code === 'approval_rejected' ? 'rejected' : refused ? 'denied' : 'failed',
        outcome: e.code === 'approval_pending' ? 'pending' : 'error',
        error_code: e.code,
        reason: e.detail ? `${e.message} (${e.detail})` : e.message,
        decision: refused ? 'deny' : call.decision?.effect ?? null,
      }))]);
    } catch (auditErr) {
      // The trail could not take the record: the call must not look successful, and is not.
      log.error({ err: auditErr }, 'audit write failed');
    }
    log.info({ error_code: e.code, duration_ms: Date.now() - call.startedAt }, 'tool call ended with an error');
    return toErrorResult(e, call.callId);
  }
}

/** The error codes of a call the policy (or the content guard) refused: `denied` records. */
const REFUSED_CODES: readonly string[] = ['capability_denied', 'read_only', 'constraint_violation', 'rate_limited', 'delegation_revoked', 'content_guard'];

/** The call's telemetry, its parent span from the `traceparent` in its `_meta` when sent. */
function callTelemetry(t: import('../telemetry/index.js').Telemetry, c: CallState, tool: string) {
  const meta = c.req.meta;
  const str = (v: unknown) => (typeof v === 'string' && v.length <= 512 ? v : undefined);
  return t.call({ callId: c.callId, agent: c.identity.agent, tool, traceparent: str(meta?.traceparent), tracestate: str(meta?.tracestate) });
}

async function resolveTool(s: Services, c: CallState): Promise<void> {
  c.tool = s.toolByName.get(c.req.name);
}

async function recordReceived(s: Services, c: CallState): Promise<void> {
  const raw = c.req.arguments;
  const args = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  let unreadable: unknown;
  const { intent, problem } = readIntent(c.req.meta);
  c.purpose = intent.purpose;
  c.taskId = intent.taskId;
  try {
    c.digest = argsDigest(raw ?? {});
    c.displayArgs = redactArgs(c.tool?.name ?? c.req.name, args, s.config.audit?.redact);
  } catch (err) {
    unreadable = err; // nested too deep to digest: still received (and recorded), then refused
  }
  // A write's record is on disk before its side effect. Any other call's is committed while the
  // call goes on (with the next batch of appends; at the latest with its outcome record, which
  // follows it in the chain) and reaches the disk with the outcome's flush, before the result
  // returns: a read waits for one fsync instead of two.
  const received = s.audit.record(auditInput(s, c, { event: 'received' }), { durable: c.tool?.access === 'write' });
  if (c.tool?.access === 'write') await received;
  else {
    c.received = received;
    received.catch(() => undefined); // awaited with the outcome record; no unhandled rejection meanwhile
  }
  if (problem) throw new InvalidArguments(`${problem.field} ${problem.reason}`, { extras: { field: problem.field } });
  if (unreadable !== undefined) {
    throw new InvalidArguments('arguments are nested too deeply (at most 500 levels)', {
      extras: { field: '(arguments)' }, detail: unreadable instanceof Error ? unreadable.message : String(unreadable),
    });
  }
}

async function currentDecision(s: Services, c: CallState, withArgs: boolean): Promise<Decision> {
  const tool = c.tool!;
  const revocation = c.revocation === undefined
    ? (c.revocation = await s.store.isRevoked({ agent: c.identity.agent, tool: tool.name, user: c.identity.user }))
    : c.revocation;
  if (c.ancestorsRevoked === undefined) {
    const ancestors = ancestorsOf(s.config.agents, c.identity.agent);
    c.ancestorsRevoked = ancestors.length === 0 ? {} : Object.fromEntries(await Promise.all(ancestors.map(async (a) =>
      [a, (await s.store.isRevoked({ agent: a, tool: tool.name, user: c.identity.user }))?.scope ?? null] as const)));
  }
  const ancestorsRevoked = c.ancestorsRevoked;
  let rateCount: number | undefined;
  const base = decide({
    agents: s.config.agents, agentId: c.identity.agent, tool, now: new Date(), revoked: revocation?.scope ?? null,
    args: withArgs ? c.args : undefined, ancestorsRevoked,
  });
  if (withArgs && base.rate && base.effect !== 'deny') {
    const peek = await s.store.peekRate({ key: base.rate.key, windowMs: base.rate.windowMs, now: Date.now() });
    rateCount = peek.count;
    return decide({
      agents: s.config.agents, agentId: c.identity.agent, tool, now: new Date(), revoked: revocation?.scope ?? null,
      args: c.args, rateCount, ancestorsRevoked,
    });
  }
  return base;
}

function refuse(d: Decision): never {
  switch (d.code) {
    case 'read_only': throw new ReadOnly(d.reason);
    case 'constraint_violation': throw new ConstraintViolation(d.reason);
    case 'rate_limited': throw new RateLimited(d.reason);
    case 'delegation_revoked': throw new DelegationRevoked(d.reason);
    default: throw new CapabilityDenied(d.reason);
  }
}

async function checkCapability(s: Services, c: CallState): Promise<void> {
  // An unknown tool and a hidden one answer alike, so a listing cannot be probed by name.
  if (!c.tool) throw new CapabilityDenied(`No tool named "${unknownToolName(c.req.name)}" is available to this agent.`);
  c.decision = await currentDecision(s, c, false);
  if (c.decision.effect === 'deny') {
    // A revoked capability's cached tokens are dropped and denylisted, not merely unused.
    if (c.decision.rule.startsWith('revocation:')) {
      await s.tokens.invalidate(c.identity.agent, c.decision.code === 'delegation_revoked' ? undefined : c.tool);
    }
    refuse(c.decision);
  }
}

async function validate(s: Services, c: CallState): Promise<void> {
  c.args = validateArguments(c.tool!, c.req.arguments);
  resolveAccount(s, c);
}

/**
 * Real accounts: the account a call acts in is the one it names, else the provider's first
 * configured one; it is filled in before the constraints (`accounts`) are checked, and shown
 * in the call's audit records. Without configured accounts, naming one is an error.
 */
function resolveAccount(s: Services, c: CallState): void {
  const tool = c.tool!;
  if (tool.provider === 'mandate') return;
  const configured = Object.keys(s.config.providers?.[tool.provider]?.accounts ?? {});
  const named = c.args!.account as string | undefined;
  const cmd = { slack: 'slack', crm: 'hubspot', calendar: 'google' }[tool.provider];
  if (configured.length === 0) {
    if (named === undefined) return;
    throw new AccountUnavailable(`No ${cmd} accounts are configured, so "account" cannot be used: add providers.${tool.provider}.accounts.${named} to the config and run "mandate connect ${cmd} --account ${named}".`);
  }
  const name = named ?? configured[0]!;
  if (!configured.includes(name)) {
    throw new AccountUnavailable(`No ${cmd} account named "${name}" is configured (accounts: ${configured.join(', ')}); add it under providers.${tool.provider}.accounts and run "mandate connect ${cmd} --account ${name}".`);
  }
  c.args!.account = name;
  c.account = { name };
  if (c.displayArgs && typeof c.displayArgs === 'object') c.displayArgs = { ...(c.displayArgs as Record<string, unknown>), account: name };
}

async function checkConstraints(s: Services, c: CallState): Promise<void> {
  c.decision = await currentDecision(s, c, true);
  if (c.decision.effect === 'deny') refuse(c.decision);
  const required = purposeRequired(s, c);
  if (required && !c.purpose) {
    throw new ConstraintViolation(`${c.tool!.name} writes, and ${required} requires a purpose: send the user's request in _meta["mandate/purpose"].`);
  }
}

/** The config path that requires a purpose for this write (the tool rule's, else the agent's), or null. */
function purposeRequired(s: Services, c: CallState): string | null {
  const tool = c.tool!;
  if (tool.access !== 'write') return null;
  const agent = Object.hasOwn(s.config.agents, c.identity.agent) ? s.config.agents[c.identity.agent] : undefined;
  const matched = matchRule(agent, tool.name);
  const rule = matched && typeof matched.rule === 'object' ? matched.rule : undefined;
  if (rule?.requirePurpose !== undefined) return rule.requirePurpose ? `agents.${c.identity.agent}.tools.${matched!.key}.requirePurpose` : null;
  return agent?.requirePurpose ? `agents.${c.identity.agent}.requirePurpose` : null;
}

/**
 * The outbound content guard (src/policy/content-guard.ts), for writes: `deny` ends the call
 * with content_guard; `approve` makes an allowed call wait for a human; the reason names what
 * was found and where, never the text. Settings: the config's, the agent's, the tool rule's.
 */
async function checkContent(s: Services, c: CallState): Promise<void> {
  const tool = c.tool!;
  if (tool.access !== 'write') return;
  const agentId = c.identity.agent;
  const agent = Object.hasOwn(s.config.agents, agentId) ? s.config.agents[agentId] : undefined;
  const matched = matchRule(agent, tool.name);
  const verdict = guardContent(c.args!, [
    { path: ['contentGuard'], config: s.config.contentGuard },
    { path: ['agents', agentId, 'contentGuard'], config: agent?.contentGuard },
    { path: ['agents', agentId, 'tools', matched?.key ?? tool.name, 'contentGuard'], config: matched && typeof matched.rule === 'object' ? matched.rule.contentGuard : undefined },
  ]);
  if (verdict.findings.length === 0) return;
  c.guard = verdict;
  c.log?.warn({ guard: verdict.action, found: verdict.findings.map((f) => `${f.category} in ${f.field}`), rule: verdict.rule }, 'outbound content guard');
  if (verdict.action === 'deny') throw new ContentGuardRefused(`Refused: ${verdict.reason}.`);
  if (verdict.action === 'approve' && c.decision?.effect === 'allow') {
    c.decision = { ...c.decision, effect: 'approve', reason: verdict.reason, rule: verdict.rule };
  }
}

async function awaitApproval(s: Services, c: CallState): Promise<void> {
  if (c.decision?.effect !== 'approve') return;
  const waited = Date.now();
  const outcome = c.req.input ? await askThroughInputRequired(s, c, c.req.input) : await s.approvals.pass(gateRequest(s, c));
  s.telemetry?.approvalWait(Date.now() - waited, outcome.status === 'approved' || outcome.status === 'rejected');
  await settleApproval(s, c, outcome);
}

/** Elicitation decides only where the config trusts it (and never against passkey presence). */
function elicitationTrusted(s: Services): boolean {
  return s.config.approvals.elicitation && s.config.approvals.presence !== 'passkey';
}

function gateRequest(s: Services, c: CallState): import('../approvals/gate.js').GateRequest {
  return {
    identity: c.identity, tool: c.tool!, args: c.args!, displayArgs: c.displayArgs as Record<string, unknown>,
    argsDigest: c.digest!, callId: c.callId, signal: c.req.signal, progress: c.req.progress,
    ...(c.purpose || c.taskId ? { intent: { purpose: c.purpose, taskId: c.taskId } } : {}),
    // With passkey presence, only the console's passkey approves: an MCP client's form cannot.
    elicit: elicitationTrusted(s) ? c.req.elicit : undefined,
    onRequested: async (a) => {
      c.approval = { id: a.approval_id, approver: null };
      await s.audit.record(auditInput(s, c, { event: 'approval_requested', decision: 'approve', outcome: 'pending', reason: c.guard?.reason ?? null }));
    },
  };
}

/**
 * The approval step for a 2026-07-28 request. First round: an approval already given for
 * this call is spent as usual; otherwise the client is asked, through an input-required
 * result, to send the user to the console (URL mode: the console's address, never its
 * secret) or, where elicitation is trusted, to show a form. Retry: the sealed state must be
 * this server's, unexpired, unused and made for this very call; a form answer is the user's
 * decision; then the call waits for a decision as a 2025 call would.
 */
async function askThroughInputRequired(s: Services, c: CallState, input: NonNullable<CallRequest['input']>): Promise<import('../approvals/gate.js').GateOutcome> {
  const req = gateRequest(s, c);
  const binding = { user: c.identity.user, agent: c.identity.agent, client: c.identity.client, tool: c.tool!.name, args_digest: c.digest! };
  if (input.state !== undefined) {
    const state = await s.requestStates.open(input.state, binding);
    let approval = await s.approvals.find(req, state.approval_id);
    if (!approval) throw new RequestStateRefused('mismatch', 'the requestState names an approval of another call');
    c.approval = { id: approval.approval_id, approver: null };
    const answer = inputResponse(input.responses, APPROVAL_INPUT);
    if (answer.kind === 'elicit' && approval.status === 'pending' && elicitationTrusted(s) && isForm(answer.content)) {
      const accepted = answer.action === 'accept' && answer.content?.confirm === true;
      if (answer.action === 'accept' || answer.action === 'decline') approval = await s.approvals.decideInClient(approval, accepted ? 'accept' : 'decline', c.identity);
    }
    return s.approvals.wait(req, approval);
  }
  const begun = await s.approvals.begin(req);
  if (begun.status !== 'open') return begun;
  const approval = begun.approval;
  c.approval = { id: approval.approval_id, approver: null };
  const ask = askFor(s, c, approval, input);
  if (!ask) return s.approvals.wait(req, approval); // nothing to ask with: wait as a 2025 call does
  const ttl = Math.max(1000, Math.min(new Date(approval.expires_at).getTime() - Date.now(), s.config.approvals.ttlSeconds * 1000));
  throw new InputNeeded(inputRequired({
    inputRequests: { [APPROVAL_INPUT]: ask },
    requestState: s.requestStates.seal(binding, approval.approval_id, ttl),
  }));
}

/** The input request for `approval`: a trusted form, else a link to the console, else none. */
function askFor(s: Services, c: CallState, approval: Approval, input: NonNullable<CallRequest['input']>) {
  const message = `Agent "${c.identity.agent}" asks to run ${c.tool!.name} (${approval.approval_id}):\n\n${approval.summary}`;
  if (elicitationTrusted(s) && input.form) {
    return inputRequired.elicit({
      message: `Approve this call?\n\n${message}`,
      requestedSchema: {
        type: 'object',
        properties: { confirm: { type: 'boolean', title: 'I approve this exact call', default: false } },
        required: ['confirm'],
      },
    });
  }
  const consoleUrl = s.approvalConsoleUrl;
  if (input.url && consoleUrl) {
    // Invariant 9: the console's address only; whoever opens it proves who they are there.
    const url = new URL(consoleUrl);
    url.search = new URLSearchParams({ approval: approval.approval_id }).toString();
    url.hash = '';
    return inputRequired.elicitUrl({ message: `A human must approve this call in the Mandate approval console. ${message}`, url: url.href });
  }
  return undefined;
}

function isForm(content: unknown): content is { confirm?: unknown } | undefined {
  return content === undefined || (typeof content === 'object' && content !== null);
}

async function settleApproval(s: Services, c: CallState, outcome: import('../approvals/gate.js').GateOutcome): Promise<void> {
  const a = outcome.approval;
  c.approval = { id: a.approval_id, approver: a.approver ?? null };
  // The spent approval's receipt: this call's records from here on reference it.
  if (outcome.status === 'approved' && a.receipt) c.approval.receipt = receiptRef(a.receipt);
  const extras = { approval_id: a.approval_id };
  switch (outcome.status) {
    case 'approved':
      await s.audit.record(auditInput(s, c, { event: 'approved', decision: 'approve', reason: a.channel ? `approved via ${a.channel}` : null }));
      return;
    case 'rejected':
      throw new ApprovalRejected(`A human denied this call${a.reason ? `: ${a.reason}` : '.'}`, { extras });
    case 'expired':
      throw new ApprovalExpired(`The approval request ${a.approval_id} expired before it was approved; calling again asks anew.`, { extras });
    case 'pending':
      throw new ApprovalPending(
        `This call needs a human's approval (${a.approval_id}). Once approved, repeat the identical call to run it; mandate_approval_status tells its state.`,
        { extras },
      );
  }
}

async function countRate(s: Services, c: CallState): Promise<void> {
  const rate = c.decision?.rate;
  if (!rate) return;
  const hit = await s.store.hitRate({ key: rate.key, windowMs: rate.windowMs, limit: rate.limit, now: Date.now() });
  if (!hit.allowed) {
    const retry = Math.max(1, Math.ceil((hit.resetAt - Date.now()) / 1000));
    throw new RateLimited(`Rate limit of ${rate.limit} calls reached for ${c.tool!.name}; retry in ${retry} s.`, {
      extras: { retry_after_seconds: retry },
    });
  }
}

async function execute(s: Services, c: CallState): Promise<void> {
  const tool = c.tool!;
  const tokens = s.tokens.sourceFor(c.identity, tool, c.req.signal, c.taskId ? { taskId: c.taskId } : undefined);
  const connector = s.connectors.create(tool.provider, tokens, c.req.signal, c.identity, {
    callId: c.callId, tool: tool.name, account: c.account?.name,
    onAccount: (who) => { if (c.account) c.account.identity = who.name && who.name !== who.id ? `${who.id} (${who.name})` : who.id; },
  });
  const log = c.log ?? s.logger.child({ call_id: c.callId, session_id: c.identity.sessionId, agent: c.identity.agent });
  try {
    const out = await tool.handler(c.args as never, { connector, callId: c.callId, log, signal: c.req.signal });
    c.result = validateOutput(tool, out);
  } catch (err) {
    if (err instanceof MandateError) throw err;
    throw new UpstreamError('The tool failed unexpectedly; see the audit record for this call_id.', {
      detail: err instanceof Error ? err.message : String(err),
    });
  } finally {
    c.token = tokens.info();
  }
}

function auditInput(s: Services, c: CallState, fields: Partial<AuditInput> & Pick<AuditInput, 'event'>): AuditInput {
  const id = c.identity;
  return {
    call_id: c.callId,
    tool: c.tool?.name ?? unknownToolName(c.req.name),
    access: c.tool ? (c.tool.destructive ? 'destructive' : c.tool.access) : null,
    user: id.user,
    client: id.client,
    agent: id.agent,
    actor_chain: withAncestors(id.actorChain, ancestorsOf(s.config.agents, id.agent)),
    session_id: id.sessionId,
    mcp_request_id: c.req.mcpRequestId === null ? null : String(c.req.mcpRequestId),
    decision: null,
    policy_version: s.policyVersion(),
    approval_id: c.approval?.id ?? null,
    approver: c.approval?.approver ?? null,
    ...(c.approval?.receipt ? { receipt: c.approval.receipt } : {}),
    token: c.token ? { jti: c.token.jti, aud: c.token.aud, scope: c.token.scope, exp: c.token.exp } : null,
    args_digest: c.digest ?? null,
    args: (c.displayArgs as Record<string, unknown> | undefined) ?? null,
    // Real accounts: the account and whose it is (team, portal, Google account), never its credential.
    ...(c.account ? { account: c.account.identity ? `${c.account.name}: ${c.account.identity}` : c.account.name } : {}),
    ...(c.purpose ? { purpose: c.purpose } : {}),
    ...(c.taskId ? { task_id: c.taskId } : {}),
    reason: null,
    outcome: null,
    error_code: null,
    duration_ms: fields.event === 'received' ? null : Date.now() - c.startedAt,
    ...fields,
  } as AuditInput;
}

/** The actor chain with the agent's parents after it (child, parent, grandparent…), each once. */
function withAncestors(chain: string[], ancestors: string[]): string[] {
  if (ancestors.length === 0) return chain;
  const out = [...chain];
  for (const a of ancestors) if (!out.includes(a)) out.push(a);
  return out;
}

/**
 * The name of a tool that does not exist, as the agent sent it, for the audit trail, the log and
 * the error: it may hold anything, so it is escaped (no control sequence reaches the terminal
 * that later shows it) and cut to 128 characters. Known tool names are never passed through this.
 */
function unknownToolName(name: string): string {
  return terminalSafeName(name, 128);
}

