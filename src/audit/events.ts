// The audit inputs of events that are no tool call: a human's decision on an approval, its
// expiry, a revocation, a config applied by a running server. One builder each, so every
// path that records one (store, CLI, console, server) writes the same fields. What a record
// of no call holds in `call_id` and `tool` is said at AUDIT_EVENTS.
import { ulid } from 'ulid';
import type { AuditInput, REFUSAL_EVENTS } from './record.js';
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

/** A refused attempt at the authorization server or at `/mcp`: who asked, for what, and the OAuth error it got. */
export interface RefusalFacts {
  event: (typeof REFUSAL_EVENTS)[number];
  /** The OAuth error code (RFC 6749 / 6750 / 7591 / 8693). */
  error: string;
  description: string | null;
  client: string | null;
  user: string | null;
  agent: string | null;
  /** What was asked (grant type, resource, scope), as sent. */
  request: Record<string, string | null>;
}

/** Longest value of an attacker-chosen field kept in a refusal record. */
const MAX_REFUSAL_FIELD = 200;
const cut = (v: string | null) => (v === null ? null : v.length > MAX_REFUSAL_FIELD ? `${v.slice(0, MAX_REFUSAL_FIELD)}…` : v);

/** `*_refused`: no tool call (`tool` ''); the client, user and actor where known; `error_code` the OAuth error. */
export function refusalInput(r: RefusalFacts): AuditInput {
  return {
    call_id: newEventId(),
    event: r.event,
    tool: '',
    user: cut(r.user),
    client: cut(r.client),
    agent: cut(r.agent),
    actor_chain: r.agent ? [cut(r.agent)!] : [],
    decision: 'refused',
    outcome: 'refused',
    reason: cut(r.description ?? r.error),
    error_code: cut(r.error),
    args: Object.fromEntries(Object.entries(r.request).map(([k, v]) => [k, cut(v)])),
  };
}

/** `anomaly`: a signal computed from the trail (src/audit/anomalies.ts); `args` holds the signal and its facts, `reason` plain words. */
export function anomalyInput(a: { agent: string; user: string | null; tool: string; signal: string; reason: string; facts: Record<string, string | number> }): AuditInput {
  return {
    call_id: newEventId(),
    event: 'anomaly',
    tool: a.tool,
    user: a.user,
    agent: a.agent,
    actor_chain: [a.agent],
    decision: 'flag',
    outcome: a.signal,
    reason: scrubTokens(a.reason),
    args: { signal: a.signal, ...a.facts },
  };
}
