// The one way a human decision on an approval is recorded, whatever the channel (CLI,
// console, passkey, OIDC, MCP elicitation): the approval moves from pending to approved or
// rejected, a receipt is signed over the decision and the exact call, and an
// `approval_decided` record carrying the receipt joins the audit chain.
//
// Crash safety: the receipt is signed first (it changes nothing), then the store applies the
// decision and appends its record in one write transaction, so a decision never exists
// without its record, nor a record without its decision. A crash before the transaction
// leaves the approval pending and nothing recorded.
import type { Logger } from '../log.js';
import { approvalDecidedInput } from '../audit/events.js';
import type { ReceiptSigner } from '../audit/receipt.js';
import { StoreError } from '../store/errors.js';
import type { Approval, ApprovalChannel, Store } from '../store/types.js';

/** What recording a decision needs. */
export interface DecisionDeps {
  store: Store;
  signer: ReceiptSigner;
  logger?: Logger;
}

/** A human's decision: `approver` names who proved it (`os:dana`, `user:<sub>`, `console:<label>`, `passkey:<id>`, `oidc:<sub>`), `method` how. */
export interface DecisionInput {
  decision: 'approved' | 'rejected';
  approver: string;
  method: ApprovalChannel;
  reason?: string | null;
  now?: Date;
}

/**
 * Decides pending approval `id` and returns it with its signed receipt. Throws a `StoreError`
 * (`not_found`, `not_pending`, `expired`) when it cannot be decided; nothing is then recorded
 * but, for one found expired, its `approval_expired`.
 */
export async function decideApproval(deps: DecisionDeps, id: string, input: DecisionInput): Promise<{ approval: Approval; receipt: string }> {
  const { store, signer } = deps;
  const current = await store.getApproval(id);
  if (!current) throw new StoreError('not_found', `no approval ${id}`);
  if (current.status !== 'pending') throw new StoreError('not_pending', `approval ${id} is ${current.status}, not pending`);
  const now = input.now ?? new Date();
  const receipt = await signer.sign({
    approval_id: current.approval_id,
    call_id: current.call_id,
    user: current.user,
    agent: current.agent,
    client: current.client,
    tool: current.tool,
    args_digest: current.args_digest,
    decision: input.decision,
    approver: input.approver,
    method: input.method,
    decided_at: now.toISOString(),
    expires_at: current.expires_at,
  });
  const approval = await store.decideApproval(id, {
    decision: input.decision,
    approver: input.approver,
    channel: input.method,
    reason: input.reason ?? null,
    now,
    receipt,
    records: [approvalDecidedInput(current, { ...input, receipt })],
  });
  deps.logger?.info({ approval_id: id, decision: input.decision, approver: input.approver, method: input.method }, 'approval decided');
  return { approval, receipt };
}
