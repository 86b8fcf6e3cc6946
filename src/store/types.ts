// What Mandate keeps, one interface per role (the way node-oidc-provider draws an adapter per
// model): the audit trail, approvals, revocations, rate counters, delegations' local state and
// a little metadata. `Store` is all of them at once; a consumer takes only the role it uses.
// Every method is asynchronous: the embedded SQLite store and the PostgreSQL one (several
// instances on one database) implement the same roles.
import type { AuditInput, AuditLink, AuditRecord } from '../audit/record.js';

/** Which records `readAudit` returns. `since` is an ISO time; `afterSeq` keeps records with a greater `seq`. */
export interface AuditFilter {
  callId?: string;
  agent?: string;
  tool?: string;
  user?: string;
  /** One event, or any of several (e.g. every refused attempt). */
  event?: string | readonly string[];
  since?: string;
  afterSeq?: number;
  limit?: number;
  /** By `seq`; default `asc`. */
  order?: 'asc' | 'desc';
}

/** The head of the chain: its last `seq` and `hash`. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'used' | 'cancelled';
/**
 * How an approver proved who they are (invariant 9): the console's secret link, a passkey
 * assertion, the user's OIDC sign-in, the owner of the state directory on the CLI, or the
 * user answering an MCP elicitation.
 */
export type ApprovalChannel = 'console' | 'passkey' | 'oidc' | 'cli' | 'elicitation';

/** A single-use, expiring human decision bound to one tool call's exact arguments. Times are ISO 8601 UTC. */
export interface Approval {
  approval_id: string;
  call_id: string;
  user: string;
  agent: string;
  client: string | null;
  tool: string;
  args_digest: string;
  /** The arguments as the human sees them (redacted). */
  args: unknown;
  summary: string;
  status: ApprovalStatus;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  approver: string | null;
  channel: ApprovalChannel | null;
  reason: string | null;
  /** When `consumeApproval` spent it. */
  used_at: string | null;
  /** The signed receipt of its decision (a compact JWS), when it was decided through `decideApproval` in src/approvals/decisions.ts. */
  receipt: string | null;
}

/** What `createApproval` needs; `approval_id` (a ULID) and `created_at` (now) are filled in when absent. */
export interface NewApproval {
  approval_id?: string;
  call_id: string;
  user: string;
  agent: string;
  client?: string | null;
  tool: string;
  args_digest: string;
  args: unknown;
  summary: string;
  created_at?: string;
  expires_at: string;
}

/** A human's decision on a pending approval. `now` defaults to the clock. */
export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  approver: string;
  channel: ApprovalChannel;
  reason?: string | null;
  now?: Date | number;
  /** The decision's signed receipt, kept with the approval. */
  receipt?: string | null;
  /** Audit records appended in the same transaction as the decision (so neither exists without the other). */
  records?: AuditInput[];
}

/** Which approval `consumeApproval` may spend: every field must match the request's. */
export interface ConsumeQuery {
  user: string;
  agent: string;
  client: string | null;
  tool: string;
  argsDigest: string;
  now: Date | number;
}

/** A revocation: of a whole delegation (`tool` null) or one capability; `user` null means every user's. */
export interface Revocation {
  agent: string;
  tool: string | null;
  user: string | null;
  revoked_at: string;
  by: string | null;
  reason: string | null;
}

export interface RevokeInput {
  agent: string;
  tool?: string | null;
  user?: string | null;
  by?: string | null;
  reason?: string | null;
}

/** One rate-limit check. `now` and `windowMs` in milliseconds. */
export interface RateQuery {
  key: string;
  windowMs: number;
  limit: number;
  now: number;
}

/** `count`: calls in the window (including this one when allowed); `resetAt`: epoch ms when a slot frees. */
export interface RateResult {
  allowed: boolean;
  count: number;
  resetAt: number;
}

export type DelegationStatus = 'active' | 'revoked' | 'expired';

/** The local state of a user's delegation to an agent. */
export interface Delegation {
  user: string;
  agent: string;
  client: string | null;
  scopes: string[];
  status: DelegationStatus;
  updated_at: string;
}

/** How an append must be on disk before it resolves (see `Store.appendAudit`). */
export interface AppendAuditOptions {
  /** Flushed to disk before resolving (default true); false: committed only. */
  durable?: boolean;
}

/** The audit trail: one hash chain, appended in group commits. */
export interface AuditStore {
  /**
   * Appends records as one chain segment: assigns `seq`, `ts`, `prev_hash`, `hash` in one
   * write transaction (so concurrent writers, even in other processes or on other instances,
   * build one chain) and moves the checkpoint in the same transaction. Resolves once the
   * records are durable, or, with `{ durable: false }`, once they are committed (safe from a
   * crash of this process, not yet from a power loss): such records commit with the next
   * durable append or within a few milliseconds, whichever comes first, and become durable
   * with the next durable append, which flushes every commit before it.
   */
  appendAudit(inputs: AuditInput[], options?: AppendAuditOptions): Promise<AuditRecord[]>;
  readAudit(filter?: AuditFilter): Promise<AuditRecord[]>;
  /** Every record in `seq` order (for export), read in pages. */
  scanAudit(): AsyncIterable<AuditRecord>;
  /** Every record in `seq` order as the text its hash covers (for a fast verify), read in pages. */
  scanAuditLinks(): AsyncIterable<AuditLink>;
  /** The last record's `seq` and `hash`, from the audit table; null when empty. */
  auditHead(): Promise<AuditHead | null>;
  auditCount(): Promise<number>;
  /** The chain head kept apart from the audit table (moved by every append). */
  getAuditCheckpoint(): Promise<AuditHead | null>;
  putAuditCheckpoint(head: AuditHead): Promise<void>;
}

/** Approvals: created, decided once (with their audit record), consumed once, expired. */
export interface ApprovalStore {
  createApproval(a: NewApproval): Promise<Approval>;
  getApproval(id: string): Promise<Approval | null>;
  listApprovals(filter?: { status?: ApprovalStatus; agent?: string }): Promise<Approval[]>;
  /**
   * pending → approved | rejected, with `decision.records` appended to the audit trail in the
   * same transaction; anything else throws a `StoreError` (`not_found`, `not_pending`,
   * `expired`) and appends nothing but, for an approval found expired, its `approval_expired`.
   */
  decideApproval(id: string, decision: ApprovalDecision): Promise<Approval>;
  /**
   * Atomically marks one approved, unexpired, unused approval for exactly this user, agent,
   * client, tool and args digest as `used` (invariant 9: an approval serves only the call it
   * was asked for; a null client matches only a null client). Of two callers racing for it,
   * even on two instances, exactly one gets it.
   */
  consumeApproval(q: ConsumeQuery): Promise<Approval | null>;
  /**
   * Marks pending and approved-but-unused approvals past their expiry as `expired` and returns
   * them; each gets an `approval_expired` record in the same transaction, written only by the
   * caller whose update changed its row (two processes expiring at once record it once).
   */
  expireApprovals(now: Date | number): Promise<Approval[]>;
  /** Cancels the agent's pending and approved-but-unused approvals (for one tool, or all); returns how many. */
  cancelApprovals(q: { agent: string; tool?: string | null }): Promise<number>;
}

/** Revocations of delegations and capabilities, and the denylist of token ids. */
export interface RevocationStore {
  /** Records a revocation, and its `revoked` audit record in the same transaction. */
  revoke(r: RevokeInput): Promise<Revocation>;
  listRevocations(): Promise<Revocation[]>;
  /**
   * Whether a call is revoked: `delegation` when the agent's whole delegation is, `tool` when
   * that capability is. A revocation naming no user covers every user; a query naming no
   * user matches any revocation of the agent (the cautious answer).
   */
  isRevoked(q: { agent: string; tool: string; user?: string | null }): Promise<{ scope: 'delegation' | 'tool' } | null>;
  /** Lifts revocations (e.g. on re-login): of one tool, or (no `tool`) all of the agent's; for one user, or all. Returns how many. */
  unrevoke(q: { agent: string; tool?: string | null; user?: string | null }): Promise<number>;
  /** Denylists a token id until `exp` (seconds since the epoch). */
  revokeJti(jti: string, exp: number): Promise<void>;
  isJtiRevoked(jti: string): Promise<boolean>;
  /**
   * Where the store can tell at once that another process or instance changed the
   * revocations (PostgreSQL: LISTEN/NOTIFY), `listener` is called when it did; returns the
   * unsubscribe function. Absent: callers poll `listRevocations`.
   */
  onRevocationsChanged?(listener: () => void): () => void;
}

/** Rate counters: a sliding window per key, counted across every process on the store. */
export interface RateStore {
  /** Atomic check-and-increment: counts this call only when allowed. */
  hitRate(q: RateQuery): Promise<RateResult>;
  /** The same answer without counting a call (`allowed`: whether one more would be; true without `limit`). */
  peekRate(q: Omit<RateQuery, 'limit'> & { limit?: number }): Promise<RateResult>;
}

/** Delegations' local state. */
export interface DelegationStore {
  putDelegation(d: Delegation): Promise<void>;
  /**
   * The delegation of `user` to `agent` through `client` (null: none named), or, without
   * `client`, the one of that pair updated last.
   */
  getDelegation(user: string, agent: string, client?: string | null): Promise<Delegation | null>;
  listDelegations(): Promise<Delegation[]>;
}

/** Small metadata (key → text). */
export interface MetaStore {
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
}

/**
 * Everything Mandate keeps: every role at once. Implementations: `openSqliteStore` (embedded
 * default) and `openPostgresStore` (src/store/postgres). The authorization server's state is
 * a further role, `AuthzStateStore` (src/store/authz.ts), that the PostgreSQL store also plays.
 */
export interface Store extends AuditStore, ApprovalStore, RevocationStore, RateStore, DelegationStore, MetaStore {
  /** Which backend this is (for `mandate doctor` and logs; never the connection string). */
  readonly kind?: 'sqlite' | 'postgres';
  /** Commits pending appends, then closes. */
  close(): Promise<void>;
}
