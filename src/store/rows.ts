// How SQLite rows become records. Reading never throws on a damaged row: JSON that no
// longer parses comes back as a marker object, so the record's hash fails and the verifier
// names it instead of crashing.
import { RECORD_FIELDS } from '../audit/record.js';
import type { AuditRecord } from '../audit/record.js';
import { ulid } from 'ulid';
import { isoField, toIso } from './checks.js';
import type { Approval, Delegation, NewApproval, Revocation } from './types.js';

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { $unparseable: text };
  }
}

/** A stored audit record (its canonical text and hash) as the record it is, fields in the contract's order. */
export function auditFromText(text: string, hash: string): AuditRecord {
  const parsed = parseJson(text);
  const src = (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : { $unparseable: text }) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of RECORD_FIELDS) if (f in src) out[f] = src[f];
  // Anything else (only in a tampered row) is kept, so it shows and fails verification.
  for (const k of Object.keys(src)) if (!(k in out)) out[k] = src[k];
  out.hash = hash;
  return out as unknown as AuditRecord;
}

/** An approval row as stored (args as JSON text). */
export type ApprovalRow = Omit<Approval, 'args'> & { args: string };

/** Row to approval (args parsed back from JSON). */
/** The row of a new, pending approval (both backends insert exactly this). */
export function newApprovalRow(a: NewApproval): ApprovalRow {
  return {
    approval_id: a.approval_id ?? ulid(),
    call_id: a.call_id,
    user: a.user,
    agent: a.agent,
    client: a.client ?? null,
    tool: a.tool,
    args_digest: a.args_digest,
    args: JSON.stringify(a.args ?? null),
    summary: a.summary,
    status: 'pending',
    created_at: a.created_at === undefined ? toIso(undefined) : isoField(a.created_at, 'created_at'),
    expires_at: isoField(a.expires_at, 'expires_at'),
    decided_at: null,
    approver: null,
    channel: null,
    reason: null,
    used_at: null,
    receipt: null,
  };
}

export function approvalFromRow(row: ApprovalRow): Approval {
  // 'web' was the loopback page's channel before the console's methods were named.
  const channel = (row.channel as string | null) === 'web' ? 'console' : row.channel;
  return { ...row, channel, args: parseJson(row.args), receipt: row.receipt ?? null };
}

/** A revocation row: '' in `tool` / `user` stands for "every tool" / "every user". */
export interface RevocationRow {
  agent: string;
  tool: string;
  user: string;
  revoked_at: string;
  by: string | null;
  reason: string | null;
}

/** Row to revocation ('' back to null). */
export function revocationFromRow(row: RevocationRow): Revocation {
  return { ...row, tool: row.tool === '' ? null : row.tool, user: row.user === '' ? null : row.user };
}

/** A delegation row (scopes as JSON text). */
export type DelegationRow = Omit<Delegation, 'scopes'> & { scopes: string };

/** Row to delegation. */
export function delegationFromRow(row: DelegationRow): Delegation {
  const scopes = parseJson(row.scopes);
  return { ...row, client: row.client || null, scopes: Array.isArray(scopes) ? (scopes as string[]) : [] };
}
