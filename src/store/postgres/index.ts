// The PostgreSQL store: every role of `Store` on one database, for several Mandate instances
// behind one URL (config `store: "postgres://…"` or `MANDATE_STORE`). Opening connects,
// migrates (once, however many instances start at once) and refuses clearly when the
// database cannot be reached; the connection string's password is never shown.
import type { AuditInput, AuditLink, AuditRecord } from '../../audit/record.js';
import type {
  AppendAuditOptions, Approval, ApprovalDecision, ApprovalStatus, AuditFilter, AuditHead, ConsumeQuery, Delegation,
  NewApproval, RateQuery, RateResult, Revocation, RevokeInput, Store,
} from '../types.js';
import { StoreError } from '../errors.js';
import { createPool, parseTarget, toStoreError } from './connect.js';
import type { PostgresTarget } from './connect.js';
import { Db } from './db.js';
import { migratePostgres } from './migrations.js';
import { PgAudit } from './audit.js';
import type { PgAuditStats } from './audit.js';
import { PgApprovals } from './approvals.js';
import { PgRevocations } from './revocations.js';
import { PgDelegations, PgRates } from './state.js';
import { Listener } from './notify.js';
import { PgAuthzState } from './authz.js';

export { describeUrl, isPostgresUrl } from './connect.js';

export interface PostgresStoreOptions {
  /** A `postgres://` URL, optionally with `?schema=NAME`. */
  url: string;
  /** Overrides the URL's schema (tests give each file its own). */
  schema?: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /** The key sealing the authorization server's secrets at rest (`MANDATE_STORE_KEY`); without it those models are refused. */
  storeKey?: string | null;
}

/** The PostgreSQL store, with where it is (password hidden) and its commit counters. */
export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  /** The URL without its password, and the schema. */
  readonly display: string;
  readonly schema: string;
  /** The authorization server's state (oidc-provider models and signing keys). */
  readonly authz: PgAuthzState;
  /** Always present here: a dedicated connection LISTENs to the store's channel. */
  onRevocationsChanged(listener: () => void): () => void;
  stats(): PgAuditStats;
}

/** Connects, migrates, and returns the store; a `StoreError` (`io`, `invalid`) when it cannot. */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const target = parseTarget(opts.url, opts.schema);
  const pool = createPool(target, opts.poolSize);
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client, target.schema);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    const e = toStoreError(err, target.display);
    throw new StoreError(e.code, e.code === 'io' && !/refused a statement/.test(e.message) ? `cannot open the store: ${e.message}` : e.message);
  }
  return new PostgresStoreImpl(target, new Db(pool, target.display, target.schema), opts.storeKey ?? null);
}

class PostgresStoreImpl implements PostgresStore {
  readonly kind = 'postgres' as const;
  readonly display: string;
  readonly schema: string;
  readonly authz: PgAuthzState;
  private readonly audit: PgAudit;
  private readonly approvals: PgApprovals;
  private readonly revocations: PgRevocations;
  private readonly rates: PgRates;
  private readonly state: PgDelegations;
  private readonly listener: Listener;

  constructor(target: PostgresTarget, private readonly db: Db, storeKey: string | null) {
    this.display = target.display;
    this.schema = target.schema;
    this.audit = new PgAudit(db);
    this.approvals = new PgApprovals(db);
    this.revocations = new PgRevocations(db);
    this.rates = new PgRates(db);
    this.state = new PgDelegations(db);
    this.listener = new Listener(target);
    this.authz = new PgAuthzState(db, storeKey);
  }

  stats(): PgAuditStats {
    return { ...this.audit.counters };
  }

  // audit
  appendAudit(inputs: AuditInput[], options?: AppendAuditOptions): Promise<AuditRecord[]> { return this.audit.appendAudit(inputs, options); }
  readAudit(filter?: AuditFilter): Promise<AuditRecord[]> { return this.audit.readAudit(filter); }
  scanAudit(): AsyncIterable<AuditRecord> { return this.audit.scanAudit(); }
  scanAuditLinks(): AsyncIterable<AuditLink> { return this.audit.scanAuditLinks(); }
  auditHead(): Promise<AuditHead | null> { return this.audit.auditHead(); }
  auditCount(): Promise<number> { return this.audit.auditCount(); }
  getAuditCheckpoint(): Promise<AuditHead | null> { return this.audit.getAuditCheckpoint(); }
  putAuditCheckpoint(head: AuditHead): Promise<void> { return this.audit.putAuditCheckpoint(head); }
  // approvals
  createApproval(a: NewApproval): Promise<Approval> { return this.approvals.createApproval(a); }
  getApproval(id: string): Promise<Approval | null> { return this.approvals.getApproval(id); }
  listApprovals(filter?: { status?: ApprovalStatus; agent?: string }): Promise<Approval[]> { return this.approvals.listApprovals(filter); }
  decideApproval(id: string, d: ApprovalDecision): Promise<Approval> { return this.approvals.decideApproval(id, d); }
  consumeApproval(q: ConsumeQuery): Promise<Approval | null> { return this.approvals.consumeApproval(q); }
  expireApprovals(now: Date | number): Promise<Approval[]> { return this.approvals.expireApprovals(now); }
  cancelApprovals(q: { agent: string; tool?: string | null }): Promise<number> { return this.approvals.cancelApprovals(q); }
  // revocations
  revoke(r: RevokeInput): Promise<Revocation> { return this.revocations.revoke(r); }
  listRevocations(): Promise<Revocation[]> { return this.revocations.listRevocations(); }
  isRevoked(q: { agent: string; tool: string; user?: string | null }): Promise<{ scope: 'delegation' | 'tool' } | null> { return this.revocations.isRevoked(q); }
  unrevoke(q: { agent: string; tool?: string | null; user?: string | null }): Promise<number> { return this.revocations.unrevoke(q); }
  revokeJti(jti: string, exp: number): Promise<void> { return this.revocations.revokeJti(jti, exp); }
  isJtiRevoked(jti: string): Promise<boolean> { return this.revocations.isJtiRevoked(jti); }
  onRevocationsChanged(listener: () => void): () => void { return this.listener.subscribe(listener); }
  // rates
  hitRate(q: RateQuery): Promise<RateResult> { return this.rates.hitRate(q); }
  peekRate(q: Omit<RateQuery, 'limit'> & { limit?: number }): Promise<RateResult> { return this.rates.peekRate(q); }
  // delegations and meta
  putDelegation(d: Delegation): Promise<void> { return this.state.putDelegation(d); }
  getDelegation(user: string, agent: string, client?: string | null): Promise<Delegation | null> { return this.state.getDelegation(user, agent, client); }
  listDelegations(): Promise<Delegation[]> { return this.state.listDelegations(); }
  getMeta(key: string): Promise<string | null> { return this.state.getMeta(key); }
  setMeta(key: string, value: string): Promise<void> { return this.state.setMeta(key, value); }

  async close(): Promise<void> {
    if (this.db.isClosed) return;
    await this.audit.drain().catch(() => undefined);
    await this.listener.close();
    await this.db.close();
  }
}
