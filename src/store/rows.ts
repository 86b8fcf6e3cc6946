// How SQLite rows become records. Reading never throws on a damaged row: JSON that no
// longer parses comes back as a marker object, so the record's hash fails and the verifier
// names it instead of crashing.
import { RECORD_FIELDS } from '../audit/record.js';
import type { AuditRecord } from '../audit/record.js';
import type { Approval, Delegation, Revocation } from './types.js';

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
