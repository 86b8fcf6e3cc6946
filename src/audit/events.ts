// The audit inputs of events that are no tool call: a human's decision on an approval, its
// expiry, a revocation, a config applied by a running server. One builder each, so every
// path that records one (store, CLI, console, server) writes the same fields. What a record
// of no call holds in `call_id` and `tool` is said at AUDIT_EVENTS.
import { ulid } from 'ulid';
import type { AuditInput } from './record.js';
import { redactSecrets, scrubTokens } from './redact.js';
import type { Approval, Revocation } from '../store/types.js';

/** A synthetic `call_id` for an event that belongs to no tool call: `evt_<ULID>`. */
export function newEventId(): string {
  return `evt_${ulid()}`;
}

/** The fields every record about an approval shares: the request it answers; its `call_id` is the approval's id. */
function aboutApproval(a: Approval): Omit<AuditInput, 'event'> {
  return {
    call_id: a.approval_id,
    tool: a.tool,
    user: a.user,
    client: a.client,
    agent: a.agent,
    approval_id: a.approval_id,
    args_digest: a.args_digest,
    args: a.args === undefined || a.args === null ? null : redactSecrets(a.args),
  };
}

/** `approval_decided`: who decided (`approver`), how (`reason` names the method), what (`decision`), with the signed receipt. */
export function approvalDecidedInput(a: Approval, d: { decision: 'approved' | 'rejected'; approver: string; method: string; reason?: string | null; receipt: string }): AuditInput {
  return {
    ...aboutApproval(a),
    event: 'approval_decided',
    decision: d.decision,
    approver: d.approver,
    outcome: d.decision,
    reason: scrubTokens(`${d.decision} via ${d.method}${d.reason ? `: ${d.reason}` : ''}`),
    receipt: d.receipt,
  };
}

/** `approval_expired`: the request ran out of time, undecided or decided but unused. */
export function approvalExpiredInput(a: Approval): AuditInput {
  return {
    ...aboutApproval(a),
    event: 'approval_expired',
    approver: a.approver,
    outcome: 'expired',
    reason: a.status === 'approved' || a.decided_at ? `approved by ${a.approver ?? 'unknown'} but not used before ${a.expires_at}` : `no decision before ${a.expires_at}`,
  };
}

/** `revoked`: `tool` '' for the whole delegation, `user` null for every user, `approver` who revoked. */
export function revokedInput(r: Revocation): AuditInput {
  return {
    call_id: newEventId(),
    event: 'revoked',
    tool: r.tool ?? '',
    user: r.user,
    agent: r.agent,
    decision: 'revoke',
    approver: r.by,
    outcome: 'revoked',
    reason: r.reason ? scrubTokens(r.reason) : r.tool ? `revoked the capability ${r.tool}` : 'revoked the delegation',
  };
}

/** `config_changed`: a running server applied an edited config; `policy_version` is the new policy's. */
export function configChangedInput(policyVersion: string, file: string | null): AuditInput {
  return {
    call_id: newEventId(),
    event: 'config_changed',
    tool: '',
    policy_version: policyVersion,
    outcome: 'applied',
    reason: file ? `applied the edited config ${file}` : 'applied an edited config',
  };
}
