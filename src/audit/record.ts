// What one audit record is (every field of the contract's "Audit record fields"), how an
// input becomes one, and the hash that chains it to the record before it:
// hash = sha256(canonical JSON of the record without `hash`), `prev_hash` and `seq` included.
import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical.js';
import type { JsonValue } from './canonical.js';

/** Refused attempts at the authorization server or at `/mcp`: no tool call, but on the record. */
export const REFUSAL_EVENTS = ['exchange_refused', 'token_refused', 'registration_refused', 'authorization_refused', 'bearer_refused'] as const;

/**
 * The events that leave a record: those of a tool call, then those of no call (a human's
 * decision on an approval, its expiry, a revocation, a config applied, a refused attempt).
 * Records of no call carry a synthetic `call_id`: the `approval_id` for `approval_decided`
 * and `approval_expired` (`audit show apr_…` tells an approval's story; a call's own records
 * keep its actor chain and session), `evt_<ULID>` for `revoked`, `config_changed` and `anomaly`, a fresh
 * ULID for a refused attempt; their `tool` is the tool concerned, or '' for none.
 */
/** The events of a tool call: every record with one of these carries the call's `call_id`. */
export const CALL_EVENTS = ['received', 'denied', 'approval_requested', 'approved', 'rejected', 'executed', 'failed'] as const;

export const AUDIT_EVENTS = [
  ...CALL_EVENTS,
  'approval_decided', 'approval_expired', 'revoked', 'config_changed', 'anomaly', ...REFUSAL_EVENTS,
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

/** `prev_hash` of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a record keeps of a per-tool token: its identity and reach, never the token itself. */
export interface AuditTokenInfo {
  jti: string | null;
  aud: string | string[] | null;
  scope: string | null;
  /** Expiry, seconds since the epoch (the JWT `exp`). */
  exp: number | null;
}

/** One append-only, hash-chained entry: one event of one tool call. Absent values are `null`. */
export interface AuditRecord {
  call_id: string;
  seq: number;
  /** ISO 8601 UTC time the record was committed. */
  ts: string;
  event: AuditEvent;
  tool: string;
  /** `read`, `write`, or `destructive` for a write that deletes or cannot be undone. */
  access: 'read' | 'write' | 'destructive' | null;
  user: string | null;
  client: string | null;
  agent: string | null;
  /** Subject ids of the actor chain, outermost (current) actor first. */
  actor_chain: string[];
  session_id: string | null;
  /** JSON-RPC id of the `tools/call` request (string or number, as the client sent it). */
  mcp_request_id: string | number | null;
  /** The policy decision (`allow`, `approve`, `deny`…) where one was made. */
  decision: string | null;
  /** Digest of the policy in force when the decision was made. */
  policy_version: string | null;
  reason: string | null;
  approval_id: string | null;
  approver: string | null;
  /**
   * The approval receipt's reference, only on records that have one: the signed receipt
   * itself (a compact JWS) on `approval_decided`, `sha256:<hex of that JWS>` on the records of
   * the call that spent it (`approved`, `executed`…). Absent otherwise, and then left out of
   * the hashed text too, so records written before receipts existed keep their hash.
   */
  receipt?: string;
  /**
   * The provider account a call acted in and whose it is (`work: T0WORK (Acme)`), only on
   * records of calls to a real account; never its credential. Absent (and unhashed) otherwise.
   */
  account?: string;
  /**
   * Why the call was made, in the user's words, as the client sent it in
   * `_meta["mandate/purpose"]`; only on records of calls that said. Absent (and unhashed) otherwise.
   */
  purpose?: string;
  /** The task the call belongs to (`_meta["mandate/task_id"]`); only when sent. Absent (and unhashed) otherwise. */
  task_id?: string;
  token: AuditTokenInfo | null;
  /** SHA-256 of the canonical arguments as received (before redaction). */
  args_digest: string | null;
  /** The arguments with secrets redacted. */
  args: JsonValue | null;
  outcome: string | null;
  /** One of the contract's error codes when the call failed or was refused. */
  error_code: string | null;
  duration_ms: number | null;
  prev_hash: string;
  hash: string;
}

/** The fields the store assigns when it appends. */
type Assigned = 'seq' | 'ts' | 'prev_hash' | 'hash';
type Given = 'call_id' | 'event' | 'tool';

/**
 * What callers write: the record minus `seq`, `ts`, `prev_hash`, `hash`. Only `call_id`,
 * `event` and `tool` are required; every other field may be left out and becomes `null`
 * (`actor_chain` becomes `[]`).
 */
export type AuditInput = Pick<AuditRecord, Given> & {
  [K in Exclude<keyof AuditRecord, Assigned | Given>]?: AuditRecord[K] | null;
};

/** An input with every field present, as it is hashed and stored. */
export type NormalizedAuditInput = Omit<AuditRecord, Assigned>;

const str = z.string().nullable().optional();

/** Strict schema of an `AuditInput` (unknown keys are refused, so nothing unplanned is stored). */
export const auditInputSchema = z.strictObject({
  call_id: z.string().min(1),
  event: z.enum(AUDIT_EVENTS),
  tool: z.string(),
  access: z.enum(['read', 'write', 'destructive']).nullable().optional(),
  user: str,
  client: str,
  agent: str,
  actor_chain: z.array(z.string()).nullable().optional(),
  session_id: str,
  mcp_request_id: z.union([z.string(), z.number()]).nullable().optional(),
  decision: str,
  policy_version: str,
  reason: str,
  approval_id: str,
  approver: str,
  receipt: str,
  account: str,
  purpose: str,
  task_id: str,
  token: z
    .strictObject({
      jti: z.string().nullable(),
      aud: z.union([z.string(), z.array(z.string())]).nullable(),
      scope: z.string().nullable(),
      exp: z.number().nullable(),
    })
    .nullable()
    .optional(),
  args_digest: str,
  args: z.json().nullable().optional(),
  outcome: str,
  error_code: str,
  duration_ms: z.number().finite().nullable().optional(),
});

const NULLABLE_STRINGS = ['user', 'client', 'agent', 'session_id', 'decision', 'policy_version', 'reason', 'approval_id', 'approver', 'receipt', 'account', 'purpose', 'task_id', 'args_digest', 'outcome', 'error_code'] as const;
const INPUT_KEYS = new Set(Object.keys(auditInputSchema.shape));
const EVENTS = new Set<string>(AUDIT_EVENTS);
const ACCESS = new Set<unknown>(['read', 'write', 'destructive', null, undefined]);

const isOptString = (v: unknown) => v === undefined || v === null || typeof v === 'string';
const isOptFinite = (v: unknown) => v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v));
const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
function isJson(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJson);
  // An own `__proto__` key is left to the schema, which drops it (as JSON.parse'd objects may carry one).
  return isPlainObject(v) && !Object.hasOwn(v, '__proto__') && Object.values(v).every(isJson);
}

/**
 * True only for inputs `auditInputSchema` accepts, checked by hand: every call writes two
 * records, and zod's general-purpose walk cost more than the rest of sealing one. Anything
 * this does not recognise goes through the schema, which decides and explains.
 */
export function isPlainValidAuditInput(input: unknown): boolean {
  if (!isPlainObject(input)) return false;
  for (const k in input) if (!INPUT_KEYS.has(k)) return false;
  const i = input as Record<string, unknown>;
  if (typeof i.call_id !== 'string' || i.call_id.length === 0 || typeof i.tool !== 'string' || !EVENTS.has(i.event as string)) return false;
  if (!ACCESS.has(i.access)) return false;
  for (const k of NULLABLE_STRINGS) if (!isOptString(i[k])) return false;
  const chain = i.actor_chain;
  if (chain !== undefined && chain !== null && !(Array.isArray(chain) && chain.every((a) => typeof a === 'string'))) return false;
  const id = i.mcp_request_id;
  if (!(isOptString(id) || isOptFinite(id))) return false;
  if (!isOptFinite(i.duration_ms)) return false;
  const t = i.token;
  if (t !== undefined && t !== null) {
    if (!isPlainObject(t)) return false;
    for (const k in t) if (k !== 'jti' && k !== 'aud' && k !== 'scope' && k !== 'exp') return false;
    const aud = t.aud;
    const audOk = aud === null || typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string'));
    if (!('jti' in t && 'aud' in t && 'scope' in t && 'exp' in t)) return false;
    if (!(t.jti === null || typeof t.jti === 'string') || !audOk || !(t.scope === null || typeof t.scope === 'string')) return false;
    if (!(t.exp === null || (typeof t.exp === 'number' && Number.isFinite(t.exp)))) return false;
  }
  return i.args === undefined || isJson(i.args);
}

/** Validates an input and fills every absent field with `null` (but the optional ones, `receipt`, `account`, `purpose` and `task_id`, left out when absent). Throws a ZodError when invalid. */
export function normalizeAuditInput(input: AuditInput): NormalizedAuditInput {
  const i = isPlainValidAuditInput(input) ? input : auditInputSchema.parse(input);
  const out: NormalizedAuditInput = {
    call_id: i.call_id,
    event: i.event,
    tool: i.tool,
    access: i.access ?? null,
    user: i.user ?? null,
    client: i.client ?? null,
    agent: i.agent ?? null,
    actor_chain: i.actor_chain ?? [],
    session_id: i.session_id ?? null,
    mcp_request_id: i.mcp_request_id ?? null,
    decision: i.decision ?? null,
    policy_version: i.policy_version ?? null,
    reason: i.reason ?? null,
    approval_id: i.approval_id ?? null,
    approver: i.approver ?? null,
    token: i.token ?? null,
    args_digest: i.args_digest ?? null,
    args: (i.args ?? null) as JsonValue | null,
    outcome: i.outcome ?? null,
    error_code: i.error_code ?? null,
    duration_ms: i.duration_ms ?? null,
  };
  if (i.receipt != null) out.receipt = i.receipt;
  if (i.account != null) out.account = i.account;
  if (i.purpose != null) out.purpose = i.purpose;
  if (i.task_id != null) out.task_id = i.task_id;
  return out;
}

/** Every field of a record, in the contract's order (how records are shown and exported). */
export const RECORD_FIELDS: readonly (keyof AuditRecord)[] = [
  'call_id', 'seq', 'ts', 'event', 'tool', 'access', 'user', 'client', 'agent', 'actor_chain', 'session_id',
  'mcp_request_id', 'decision', 'policy_version', 'reason', 'approval_id', 'approver', 'receipt', 'account', 'purpose', 'task_id', 'token', 'args_digest',
  'args', 'outcome', 'error_code', 'duration_ms', 'prev_hash', 'hash',
];

/** Every field that the hash covers (all but `hash`), in canonical (UTF-16 code unit) order. */
export const HASHED_FIELDS: readonly (keyof AuditRecord)[] = RECORD_FIELDS.filter((f) => f !== 'hash').sort();

const KEY_PREFIX = HASHED_FIELDS.map((k, i) => (i === 0 ? '{' : ',') + JSON.stringify(k) + ':');
/** The optional fields: hashed only when set, so records written before they existed keep their hash. */
const OPTIONAL_AT = new Set(['receipt', 'account', 'purpose', 'task_id'].map((f) => HASHED_FIELDS.indexOf(f as keyof AuditRecord)));

/**
 * The text a record's hash covers: the canonical JSON (RFC 8785) of the record without
 * `hash`. Built field by field in canonical key order (the same bytes as `canonicalJson`,
 * without sorting each time); a missing field throws, so a malformed record never verifies.
 * `receipt`, `account`, `purpose` and `task_id` alone may be absent (or null): they are then left out, as
 * `canonicalJson` leaves out an absent key.
 */
export function canonicalRecordText(record: Omit<AuditRecord, 'hash'>): string {
  let text = '';
  for (let i = 0; i < HASHED_FIELDS.length; i++) {
    const value = (record as Record<string, unknown>)[HASHED_FIELDS[i]!];
    if (value == null && OPTIONAL_AT.has(i)) continue;
    if (value === undefined) throw new Error(`audit record has no ${HASHED_FIELDS[i]} field`);
    // Strings and null are most fields: skip the general serialiser for them.
    text += KEY_PREFIX[i] + (value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value));
  }
  return text + '}';
}

/** The record's hash: sha256 of `canonicalRecordText`. */
export function hashRecord(record: Omit<AuditRecord, 'hash'>): string {
  return sha256Hex(canonicalRecordText(record));
}

/** A record as appended: the record and the exact text its hash covers (what the store keeps). */
export interface SealedRecord {
  record: AuditRecord;
  text: string;
}

/** Completes an input into a chained record. */
export function sealRecord(input: NormalizedAuditInput, seq: number, ts: string, prevHash: string): SealedRecord {
  const unsealed = { ...input, seq, ts, prev_hash: prevHash };
  const text = canonicalRecordText(unsealed);
  return { record: { ...unsealed, hash: sha256Hex(text) }, text };
}

/**
 * One record as the chain check sees it: the text its hash covers and, read from that text,
 * its `seq`, `prev_hash` and `call_id`. Lets a store verify without rebuilding records.
 */
export interface AuditLink {
  /** Where the store keeps the record (its row's `seq`), to name it when its text cannot be trusted. */
  at?: number;
  seq: unknown;
  call_id: unknown;
  prev_hash: unknown;
  hash: unknown;
  text: string;
}
