// Checks every approval receipt in the audit chain while `audit verify` walks it: each
// `approval_decided` record's receipt must be signed by the audit key and say what its record
// says; each record that references a receipt must be the call that receipt approved (same
// approval, tool, args digest, agent, user, client; decision approved), and only one call may
// spend it; a call whose approval has a receipt in the trail must reference it. Only records
// that name an approval are parsed, so a plain record costs one short string scan.
import type { CryptoKey, JWK, KeyObject } from 'jose';
import type { AuditRecord } from './record.js';
import { ReceiptError, receiptRef, verifyReceipt } from './receipt.js';
import type { ApprovalReceipt } from './receipt.js';

/** A receipt that fails, named by its approval and the record that carries or references it. */
export interface ReceiptFailure {
  approval_id: string | null;
  seq: number;
  call_id: string | null;
  reason: string;
}

type Key = CryptoKey | KeyObject | JWK;
type Seen = { receipt: ApprovalReceipt; seq: number; spentBy: string | null };

const APPROVAL_KEY = '"approval_id":';

/** The receipt rules, one record at a time, in `seq` order. */
export class ReceiptChecker {
  private readonly byRef = new Map<string, Seen>();
  private readonly refByApproval = new Map<string, string>();

  /** `key`: the audit public key; null when there is none (then any receipt fails). */
  constructor(private readonly key: Key | null) {}

  /**
   * Whether a record's canonical text needs a look: only a record naming an approval can
   * carry a receipt or spend one (a receipt on a record naming none is never registered, so
   * no call can spend it). `"approval_id":` first occurs at top level: only `access`,
   * `actor_chain` strings and `agent` precede it, so the scan stops within a few dozen bytes.
   */
  static needsLook(text: string): boolean {
    const at = text.indexOf(APPROVAL_KEY);
    return at !== -1 && text.charCodeAt(at + APPROVAL_KEY.length) !== 110; // not `null`
  }

  /** Checks one record's text (parsed only when `needsLook`). */
  async checkText(text: string, seq: number): Promise<ReceiptFailure | null> {
    if (!ReceiptChecker.needsLook(text)) return null;
    let r: AuditRecord;
    try {
      r = JSON.parse(text) as AuditRecord;
    } catch {
      return null; // its hash already held: the chain check owns malformed text
    }
    return this.check(r, seq);
  }

  /** Checks one record. */
  async check(r: AuditRecord, seq: number): Promise<ReceiptFailure | null> {
    const callId = typeof r.call_id === 'string' ? r.call_id : null;
    const fail = (approvalId: string | null, reason: string): ReceiptFailure => ({ approval_id: approvalId, seq, call_id: callId, reason });
    const approvalId = typeof r.approval_id === 'string' ? r.approval_id : null;
    const receipt = typeof r.receipt === 'string' ? r.receipt : null;

    if (r.event === 'approval_decided') {
      if (receipt === null) return fail(approvalId, 'the decision carries no receipt');
      if (this.key === null) return fail(approvalId, 'there is no audit key to check its signature');
      let signed: ApprovalReceipt;
      try {
        signed = await verifyReceipt(receipt, this.key);
      } catch (err) {
        if (err instanceof ReceiptError) return fail(approvalId, err.message);
        throw err;
      }
      const differs = firstDifference(signed, {
        approval_id: approvalId, tool: r.tool, args_digest: r.args_digest, agent: r.agent, user: r.user,
        client: r.client, decision: r.decision, approver: r.approver,
      });
      if (differs) return fail(signed.approval_id, `it does not match its record: ${differs}`);
      const ref = receiptRef(receipt);
      this.byRef.set(ref, { receipt: signed, seq, spentBy: null });
      this.refByApproval.set(signed.approval_id, ref);
      return null;
    }

    if (receipt !== null) {
      const seen = this.byRef.get(receipt);
      if (!seen) return fail(approvalId, `the call references a receipt (${receipt.slice(0, 19)}…) that no earlier approval_decided record carries`);
      const p = seen.receipt;
      const name = p.approval_id;
      if (p.decision !== 'approved') return fail(name, `it rejected the call (seq ${seen.seq}), yet the call references it`);
      if (p.tool !== r.tool) return fail(name, `it approved ${p.tool} but the call ran ${r.tool}`);
      if (p.args_digest !== r.args_digest) return fail(name, `it approved other arguments (args digest ${short(p.args_digest)}) than the call's (${short(r.args_digest)})`);
      for (const f of ['agent', 'user', 'client'] as const) {
        if ((p[f] ?? null) !== (r[f] ?? null)) return fail(name, `it approved ${f} ${p[f] ?? 'none'} but the call's ${f} is ${r[f] ?? 'none'}`);
      }
      if (p.approval_id !== approvalId) return fail(name, `the call names approval ${approvalId ?? 'none'}, not the one the receipt decided`);
      if (seen.spentBy !== null && seen.spentBy !== callId) return fail(name, `it was already spent by call ${seen.spentBy} (an approval serves one call)`);
      seen.spentBy = callId;
      return null;
    }

    if ((r.event === 'executed' || r.event === 'approved') && approvalId !== null && this.refByApproval.has(approvalId)) {
      return fail(approvalId, "the call ran on it but its record does not reference the receipt");
    }
    return null;
  }
}

function short(v: unknown): string {
  return typeof v === 'string' ? `${v.slice(0, 12)}…` : String(v);
}

/** The first receipt field that differs from the record's, as `field: receipt says A, record says B`. */
function firstDifference(p: ApprovalReceipt, record: Record<keyof ApprovalReceipt & string, unknown> | Record<string, unknown>): string | null {
  for (const [f, v] of Object.entries(record)) {
    const said = (p as Record<string, unknown>)[f] ?? null;
    if (said !== (v ?? null)) return `${f}: the receipt says ${String(said)}, the record ${String(v ?? null)}`;
  }
  return null;
}
