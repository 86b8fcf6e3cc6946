// Decides whether an `approve` call may run now: an unused human approval for exactly this
// user, agent, client, tool and arguments is consumed (once); otherwise a request is recorded and the call waits for a
// human (CLI, loopback page, or trusted elicitation) up to approvals.waitSeconds.
import { ulid } from 'ulid';
import type { Store, Approval, ConsumeQuery } from '../store/types.js';
import type { Identity } from '../identity/types.js';
import type { AnyTool } from '../../tools/define.js';
import { scrubTokens } from '../audit/redact.js';
import { StoreError } from '../store/errors.js';
import { decideApproval } from './decisions.js';
import type { DecisionDeps } from './decisions.js';

export interface GateRequest {
  identity: Identity;
  tool: AnyTool;
  args: Record<string, unknown>;
  /** Arguments as the human will see them (redacted where the config says so). */
  displayArgs: Record<string, unknown>;
  argsDigest: string;
  callId: string;
  signal: AbortSignal;
  /** Sends an MCP progress notification, when the client asked for them. */
  progress?: (progress: number, message: string) => Promise<void>;
  /** Asks the human through MCP elicitation, when the client supports it and the config trusts it. */
  elicit?: (summary: string) => Promise<'accept' | 'decline' | 'cancel'>;
  /** Why the call is made and its task, as the client said: shown with the request. */
  intent?: { purpose?: string; taskId?: string };
  /** Called once a new request was recorded (the pipeline writes `approval_requested`). */
  onRequested?: (approval: Approval) => Promise<void>;
}

export type GateOutcome =
  | { status: 'approved'; approval: Approval }
  | { status: 'rejected'; approval: Approval }
  | { status: 'expired'; approval: Approval }
  | { status: 'pending'; approval: Approval };

export interface ApprovalGateOptions {
  waitSeconds: number;
  ttlSeconds: number;
  /** How often a waiting call looks for a decision (another process may have made it). */
  pollMs?: number;
  now?: () => Date;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => { clearTimeout(t); resolve(); };
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Whether an approval was asked for this very (user, agent, client, tool, args digest). */
function sameRequest(a: Approval, req: GateRequest): boolean {
  const { identity } = req;
  return a.user === identity.user && a.agent === identity.agent && (a.client ?? null) === (identity.client ?? null)
    && a.tool === req.tool.name && a.args_digest === req.argsDigest;
}

export class ApprovalGate {
  private readonly store: Store;

  /** `deps.signer` signs the receipt of a decision taken through elicitation. */
  constructor(private readonly deps: DecisionDeps, private readonly opts: ApprovalGateOptions) {
    this.store = deps.store;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** The approval this call may spend: one asked for exactly its user, agent, client, tool and arguments. */
  private query(req: GateRequest): ConsumeQuery {
    const { identity } = req;
    return { user: identity.user, agent: identity.agent, client: identity.client, tool: req.tool.name, argsDigest: req.argsDigest, now: this.now() };
  }

  async pass(req: GateRequest): Promise<GateOutcome> {
    const begun = await this.begin(req);
    if (begun.status !== 'open') return begun;
    let approval = begun.approval;
    if (req.elicit) {
      const answer = await req.elicit(approval.summary);
      if (answer === 'accept' || answer === 'decline') approval = await this.decideInClient(approval, answer, req.identity);
    }
    return this.wait(req, approval);
  }

  /**
   * The first half of `pass`: spends an approval already given for this very call, reports a
   * denial once, or finds (or records) the open request a human must answer.
   */
  async begin(req: GateRequest): Promise<GateOutcome | { status: 'open'; approval: Approval }> {
    const { identity, tool, argsDigest } = req;
    const consumed = await this.store.consumeApproval(this.query(req));
    if (consumed) return { status: 'approved', approval: consumed };

    // A denial decided while no call was waiting is told to the next identical call, once.
    const denied = await this.unreportedRejection(req);
    if (denied) return { status: 'rejected', approval: denied };

    await this.store.expireApprovals(this.now());
    const open = (await this.store.listApprovals({ status: 'pending', agent: identity.agent })).find((a) => sameRequest(a, req));
    if (open) return { status: 'open', approval: open };
    const created = this.now();
    const approval = await this.store.createApproval({
      approval_id: `apr_${ulid()}`,
      call_id: req.callId,
      user: identity.user,
      agent: identity.agent,
      client: identity.client,
      tool: tool.name,
      args_digest: argsDigest,
      args: req.displayArgs,
      // The summary quotes raw arguments: token-shaped text in them is scrubbed as in the audit trail.
      summary: scrubTokens(tool.summarize(req.args as never) + intentNote(req.intent)),
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + this.opts.ttlSeconds * 1000).toISOString(),
    });
    await req.onRequested?.(approval);
    return { status: 'open', approval };
  }

  /** The user's answer in their MCP client (trusted elicitation), as a signed decision. */
  async decideInClient(approval: Approval, answer: 'accept' | 'decline', identity: Identity): Promise<Approval> {
    try {
      return (await decideApproval(this.deps, approval.approval_id, {
        decision: answer === 'accept' ? 'approved' : 'rejected',
        approver: `user:${identity.user}`,
        method: 'elicitation',
        reason: answer === 'decline' ? 'declined in the MCP client' : null,
      })).approval;
    } catch (err) {
      // Decided (or expired) meanwhile through another channel: that decision stands.
      if (!(err instanceof StoreError) || (err.code !== 'not_pending' && err.code !== 'expired')) throw err;
      return (await this.store.getApproval(approval.approval_id)) ?? approval;
    }
  }

  /** Waits (up to approvals.waitSeconds) for a decision on `approval` and spends it if given. */
  async wait(req: GateRequest, approval: Approval): Promise<GateOutcome> {
    return this.waitForDecision(req, approval);
  }

  /** The approval `id`, if it was asked for exactly this call. */
  async find(req: GateRequest, id: string): Promise<Approval | null> {
    const a = await this.store.getApproval(id);
    return a && sameRequest(a, req) ? a : null;
  }

  private async unreportedRejection(req: GateRequest): Promise<Approval | null> {
    const rejected = (await this.store.listApprovals({ status: 'rejected', agent: req.identity.agent }))
      .filter((a) => sameRequest(a, req))
      .sort((a, b) => (b.decided_at ?? '').localeCompare(a.decided_at ?? ''));
    const latest = rejected[0];
    if (!latest) return null;
    const key = `approval-reported:${latest.approval_id}`;
    if (await this.store.getMeta(key)) return null;
    await this.store.setMeta(key, new Date().toISOString());
    return latest;
  }

  private async waitForDecision(req: GateRequest, initial: Approval): Promise<GateOutcome> {
    const pollMs = this.opts.pollMs ?? 200;
    const deadline = Date.now() + this.opts.waitSeconds * 1000;
    let approval = initial;
    let ticks = 0;
    let lastProgressAt = 0;
    for (;;) {
      if (approval.status === 'approved') {
        const used = await this.store.consumeApproval(this.query(req));
        if (used) return { status: 'approved', approval: used };
        // Another identical call took it first: this one still needs a human.
        return { status: 'pending', approval };
      }
      if (approval.status === 'rejected' || approval.status === 'cancelled') {
        await this.store.setMeta(`approval-reported:${approval.approval_id}`, new Date().toISOString());
        return { status: 'rejected', approval };
      }
      if (approval.status === 'expired' || new Date(approval.expires_at) <= this.now()) return { status: 'expired', approval };
      if (Date.now() >= deadline || req.signal.aborted) return { status: 'pending', approval };
      if (req.progress && Date.now() - lastProgressAt >= 1000) {
        lastProgressAt = Date.now();
        ticks += 1;
        await req.progress(ticks, `waiting for a human to approve ${approval.approval_id}: ${approval.summary}`).catch(() => undefined);
      }
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), req.signal);
      approval = (await this.store.getApproval(approval.approval_id)) ?? approval;
    }
  }
}

/** What the approver reads after the summary: the purpose the client gave, and its task. */
function intentNote(intent: GateRequest['intent']): string {
  if (!intent?.purpose && !intent?.taskId) return '';
  return `${intent.purpose ? ` (purpose: "${intent.purpose}")` : ''}${intent.taskId ? ` [task ${intent.taskId}]` : ''}`;
}
