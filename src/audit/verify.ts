// Walks the audit hash chain and names the first record that breaks it: an edited field
// (hash mismatch), a deleted row (seq gap), an inserted or reordered row (seq or prev_hash
// out of line), or a truncated tail (the chain ends before, or differs at, a checkpoint).
// On the way, every approval receipt is checked (see receipts-check.ts).
import { sha256Hex } from './canonical.js';
import { GENESIS_HASH, canonicalRecordText } from './record.js';
import type { AuditLink, AuditRecord } from './record.js';
import type { Store } from '../store/types.js';
import type { CryptoKey, JWK, KeyObject } from 'jose';
import { ReceiptChecker } from './receipts-check.js';

/** The last `seq` and `hash` of the chain, kept apart from it (store table, signed JWS…). */
export interface ChainCheckpoint {
  seq: number;
  hash: string;
}

/**
 * The outcome of a verification. `seq`/`call_id` name the first bad record (`call_id` null
 * when it is missing); a bad approval receipt also has `receipt` (the approval it decided).
 */
export type VerifyResult =
  | { ok: true; count: number; head: ChainCheckpoint | null }
  | { ok: false; count: number; seq: number; call_id: string | null; reason: string; receipt?: { approval_id: string | null } };

/** How receipts are checked: against `receiptKey`, the audit public key (none: any receipt in the trail fails). */
export interface VerifyOptions {
  receiptKey?: CryptoKey | KeyObject | JWK | null;
}

type Failure = Extract<VerifyResult, { ok: false }>;

/** The chain rules, one link at a time. */
class ChainChecker {
  private expected = 1;
  private prevHash = GENESIS_HASH;
  count = 0;
  private readonly pinned: Map<number, string>;

  constructor(private readonly checkpoints: readonly ChainCheckpoint[]) {
    this.pinned = new Map(checkpoints.map((c) => [c.seq, c.hash]));
  }

  fail(callId: unknown, seq: number, reason: string): Failure {
    return { ok: false, count: this.count, seq, call_id: typeof callId === 'string' ? callId : null, reason };
  }

  /** Checks the next link; returns the failure, or null when it holds. */
  push(link: AuditLink, hashOfText: string): Failure | null {
    const { seq, call_id, prev_hash, hash } = link;
    // Until its hash holds, a record's own seq is not evidence: name it by where it was found.
    if (hashOfText !== hash) return this.fail(call_id, link.at ?? this.expected, 'its contents do not match its hash (edited record)');
    if (typeof seq !== 'number' || !Number.isInteger(seq)) return this.fail(call_id, link.at ?? this.expected, 'malformed record: seq is not an integer');
    if (link.at !== undefined && link.at !== seq) {
      return this.fail(call_id, link.at, `the record stored at seq ${link.at} is seq ${seq} (inserted, deleted or reordered records)`);
    }
    if (seq > this.expected) {
      const missing = seq - 1 === this.expected ? `seq ${this.expected} is` : `seq ${this.expected}..${seq - 1} are`;
      return this.fail(call_id, seq, `${missing} missing before it (deleted or reordered records)`);
    }
    if (seq < this.expected) return this.fail(call_id, seq, `seq ${seq} comes after seq ${this.expected - 1} (inserted or reordered record)`);
    if (prev_hash !== this.prevHash) {
      return this.fail(call_id, seq, `its prev_hash does not match the hash of seq ${this.expected - 1} (inserted, deleted or reordered record)`);
    }
    const pin = this.pinned.get(seq);
    if (pin !== undefined && pin !== hash) return this.fail(call_id, seq, 'it differs from the checkpoint (chain rewritten)');
    this.prevHash = hash as string;
    this.expected++;
    this.count++;
    return null;
  }

  finish(): VerifyResult {
    const last = this.expected - 1;
    for (const c of this.checkpoints) {
      if (c.seq > last) return this.fail(null, last + 1, `truncated tail: the chain ends at seq ${last} but the checkpoint names seq ${c.seq}`);
      if (c.seq === 0 && c.hash !== GENESIS_HASH) return this.fail(null, 0, 'the checkpoint names seq 0 with a non-genesis hash');
    }
    return { ok: true, count: this.count, head: last === 0 ? null : { seq: last, hash: this.prevHash } };
  }
}

function asList(checkpoint: ChainCheckpoint | readonly ChainCheckpoint[] | null | undefined): readonly ChainCheckpoint[] {
  if (checkpoint == null) return [];
  return Array.isArray(checkpoint) ? checkpoint : [checkpoint as ChainCheckpoint];
}

/**
 * Verifies records given in `seq` order (an export, a scan). `count` is how many records
 * verified before the first bad one. Each checkpoint must be matched: the chain must reach
 * its `seq` and hold its `hash` there.
 */
export async function verifyChain(
  records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  checkpoint?: ChainCheckpoint | readonly ChainCheckpoint[] | null,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const checker = new ChainChecker(asList(checkpoint));
  const receipts = new ReceiptChecker(options.receiptKey ?? null);
  for await (const r of records) {
    let text: string;
    try {
      text = canonicalRecordText(r);
    } catch (err) {
      return checker.fail(r?.call_id, checker.count + 1, `malformed record: ${(err as Error).message}`);
    }
    const bad = checker.push({ seq: r.seq, call_id: r.call_id, prev_hash: r.prev_hash, hash: r.hash, text }, sha256Hex(text));
    if (bad) return bad;
    if (ReceiptChecker.needsLook(text)) {
      const refused = await receipts.check(r, r.seq);
      if (refused) return receiptFailure(checker.count - 1, refused);
    }
  }
  return checker.finish();
}

/** Verifies stored links (the text each hash covers), without rebuilding records: the fast path. */
export async function verifyLinks(
  links: AsyncIterable<AuditLink> | Iterable<AuditLink>,
  checkpoint?: ChainCheckpoint | readonly ChainCheckpoint[] | null,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const checker = new ChainChecker(asList(checkpoint));
  const receipts = new ReceiptChecker(options.receiptKey ?? null);
  for await (const link of links) {
    const bad = checker.push(link, sha256Hex(link.text));
    if (bad) return bad;
    if (ReceiptChecker.needsLook(link.text)) {
      const refused = await receipts.checkText(link.text, link.seq as number);
      if (refused) return receiptFailure(checker.count - 1, refused);
    }
  }
  return checker.finish();
}

/** A bad receipt as a verification failure; `count` the records verified before it. */
function receiptFailure(count: number, f: { approval_id: string | null; seq: number; call_id: string | null; reason: string }): VerifyResult {
  return { ok: false, count, seq: f.seq, call_id: f.call_id, reason: f.reason, receipt: { approval_id: f.approval_id } };
}

/**
 * Verifies a store's whole trail against the checkpoint it keeps apart from the audit table
 * (catching a truncated tail), then checks that no record lies beyond that checkpoint (a row
 * appended without going through Mandate). `external` adds a checkpoint kept elsewhere, such
 * as a signed one; only that one also survives someone who rewrote the store's own.
 */
export async function verifyStore(store: Store, external?: ChainCheckpoint | null, options: VerifyOptions = {}): Promise<VerifyResult> {
  const before = await store.getAuditCheckpoint();
  const checkpoints = [before, external].filter((c): c is ChainCheckpoint => c != null);
  const result = await verifyLinks(store.scanAuditLinks(), checkpoints, options);
  if (!result.ok || result.head === null) return result;
  // Appends running meanwhile only move the stored checkpoint forward, so re-reading it
  // after the walk can only make this check more lenient, never wrong.
  const after = await store.getAuditCheckpoint();
  if (after === null) {
    return { ok: false, count: result.count, seq: result.head.seq, call_id: null, reason: "the store's audit checkpoint is missing" };
  }
  if (result.head.seq > after.seq) {
    const [extra] = await store.readAudit({ afterSeq: after.seq, order: 'asc', limit: 1 });
    return {
      ok: false,
      count: after.seq,
      seq: after.seq + 1,
      call_id: extra?.call_id ?? null,
      reason: `record beyond the store's checkpoint (seq ${after.seq}): not appended by Mandate (inserted record)`,
    };
  }
  return result;
}
