// The embedded store: one SQLite file (better-sqlite3, WAL) shared by the server and the
// CLI at the same time. Decides how writes stay safe across processes (every write is a
// `BEGIN IMMEDIATE` transaction under a 5 s busy timeout, retried once on SQLITE_BUSY) and
// how audit appends stay durable but cheap: appends made in the same tick share one
// transaction, committed on `setImmediate`; a lone durable caller's commit carries its fsync
// (`synchronous=FULL`), several durable callers' commit is fsynced on the thread pool (see
// flushAudit); `durable: false` appends wait up to LAZY_COMMIT_MS to share a transaction and
// become durable with the next durable commit, which flushes the write-ahead log.
import { closeSync, existsSync, fsync, fsyncSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { GENESIS_HASH, sealRecord } from '../audit/record.js';
import { approvalExpiredInput, revokedInput } from '../audit/events.js';
import type { AuditInput, AuditLink, AuditRecord, NormalizedAuditInput } from '../audit/record.js';
import { StoreError } from './errors.js';
import { checkRate, isoField, normalizeAll, toIso } from './checks.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { approvalFromRow, newApprovalRow, auditFromText, delegationFromRow, revocationFromRow } from './rows.js';
import type { ApprovalRow, DelegationRow, RevocationRow } from './rows.js';
import type {
  AppendAuditOptions,
  Approval,
  ApprovalDecision,
  ApprovalStatus,
  AuditFilter,
  AuditHead,
  ConsumeQuery,
  Delegation,
  NewApproval,
  RateQuery,
  RateResult,
  Revocation,
  RevokeInput,
  Store,
} from './types.js';

/** Counters for tests and benchmarks: how many audit transactions committed how many records. */
export interface SqliteStoreStats {
  auditTransactions: number;
  auditRecords: number;
  /** WAL fsyncs run on the thread pool for batches with several durable callers. */
  backgroundFsyncs: number;
}

/** The SQLite store, with its file path and commit counters. */
export interface SqliteStore extends Store {
  readonly path: string;
  stats(): SqliteStoreStats;
}

/** Opens (creating and migrating as needed) the store at `path`. The file is created with mode 0600. */
export function openSqliteStore(path: string): SqliteStore {
  return new SqliteStoreImpl(path);
}

interface PendingAppend {
  inputs: NormalizedAuditInput[];
  durable: boolean;
  resolve: (records: AuditRecord[]) => void;
  reject: (err: unknown) => void;
}

const SCAN_PAGE = 2000;
const AUDIT_INSERT = 'INSERT INTO audit (seq, record, hash) VALUES (?, ?, ?)';

/** At most this long does a non-durable audit append wait before it commits on its own. */
const LAZY_COMMIT_MS = 5;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

class SqliteStoreImpl implements SqliteStore {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  private readonly db: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private lazyTimer: NodeJS.Timeout | null = null;
  private wal: number | null | undefined;
  private walSyncing = false;
  private syncWaiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  private revocationWrites = 0;
  private revocationCache: { version: number; localWrites: number; rows: Array<Pick<RevocationRow, 'agent' | 'tool' | 'user'>> } | null = null;
  private closed = false;
  private readonly counters: SqliteStoreStats = { auditTransactions: 0, auditRecords: 0, backgroundFsyncs: 0 };

  constructor(path: string) {
    this.path = path;
    // SQLite gives the -wal and -shm files the main file's mode: create it private first.
    if (path !== ':memory:' && !existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    this.db = new Database(path);
    try {
      this.db.pragma('busy_timeout = 5000');
      this.retryBusy(() => this.db.pragma('journal_mode = WAL'));
      this.db.pragma('synchronous = FULL');
      if ((this.db.pragma('user_version', { simple: true }) as number) !== MIGRATIONS.length) {
        this.write(() => migrate(this.db));
      }
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  stats(): SqliteStoreStats {
    return { ...this.counters };
  }

  private st(sql: string): BetterSqlite3.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private retryBusy<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err)) throw err;
      return fn();
    }
  }

  /** One write transaction: BEGIN IMMEDIATE takes the write lock first (waiting up to busy_timeout). */
  private write<T>(fn: () => T): T {
    this.assertOpen();
    const tx = this.db.transaction(fn);
    return this.retryBusy(() => tx.immediate());
  }

  private read<T>(fn: () => T): T {
    this.assertOpen();
    return this.retryBusy(fn);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('closed', 'the store is closed');
  }

  // ---------------------------------------------------------------- audit

  appendAudit(inputs: AuditInput[], options: AppendAuditOptions = {}): Promise<AuditRecord[]> {
    if (this.closed) return Promise.reject(new StoreError('closed', 'the store is closed'));
    if (inputs.length === 0) return Promise.resolve([]);
    let normalized: NormalizedAuditInput[];
    try {
      normalized = normalizeAll(inputs);
    } catch (err) {
      return Promise.reject(err);
    }
    const durable = options.durable !== false;
    return new Promise<AuditRecord[]>((resolve, reject) => {
      this.queue.push({ inputs: normalized, durable, resolve, reject });
      if (durable) {
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(() => this.flushAudit());
        }
      } else if (!this.flushScheduled && !this.lazyTimer) {
        // A record nobody waits to see on disk (a read's `received`) waits a moment for company:
        // its call's outcome usually follows within it, and both then share one transaction.
        this.lazyTimer = setTimeout(() => this.flushAudit(), LAZY_COMMIT_MS);
      }
    });
  }

  /**
   * Commits every append queued since the last flush in one transaction, then settles each
   * caller once its records are as durable as it asked. A lone durable caller gets the commit
   * with its fsync (synchronous=FULL: the soonest answer). Several durable callers at once mean
   * a loaded server: the commit skips the fsync and the WAL is fsynced on libuv's thread pool,
   * so the event loop serves other calls meanwhile; they are settled when it returns.
   */
  private flushAudit(lone = false): void {
    this.flushScheduled = false;
    if (this.lazyTimer) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = null;
    }
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let sealed: AuditRecord[][];
    // A batch nobody waits to see on disk commits without the fsync (NORMAL: in WAL mode still
    // safe from a crash of this process); every other write of this connection stays FULL.
    const durable = batch.some((p) => p.durable);
    const background = durable && !lone && batch.filter((p) => p.durable).length > 1 && this.walFd() !== null;
    const skipFsync = !durable || background;
    try {
      if (skipFsync) this.st('PRAGMA synchronous = NORMAL').run();
      sealed = this.write(() => {
        let head = this.headForAppend();
        const ts = new Date().toISOString();
        const insert = this.st(AUDIT_INSERT);
        const out = batch.map((p) =>
          p.inputs.map((input) => {
            const { record, text } = sealRecord(input, head.seq + 1, ts, head.hash);
            insert.run(record.seq, text, record.hash);
            head = record;
            return record;
          }),
        );
        this.st('INSERT INTO audit_checkpoint (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash').run(
          head.seq,
          head.hash,
        );
        return out;
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    } finally {
      if (skipFsync && !this.closed) this.st('PRAGMA synchronous = FULL').run();
    }
    this.counters.auditTransactions++;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      const records = sealed[i]!;
      this.counters.auditRecords += records.length;
      if (background && p.durable) this.syncWaiters.push({ resolve: () => p.resolve(records), reject: p.reject });
      else p.resolve(records);
    }
    if (background) this.startWalSync();
  }

  /**
   * Appends records inside the caller's write transaction (a decision, an expiry, a
   * revocation and its record commit together, durably: this connection's commits are FULL).
   * Records queued by `appendAudit` and not yet flushed chain after these.
   */
  private appendInTransaction(inputs: NormalizedAuditInput[]): AuditRecord[] {
    if (inputs.length === 0) return [];
    let head = this.headForAppend();
    const ts = new Date().toISOString();
    const insert = this.st(AUDIT_INSERT);
    const out = inputs.map((input) => {
      const { record, text } = sealRecord(input, head.seq + 1, ts, head.hash);
      insert.run(record.seq, text, record.hash);
      head = record;
      return record;
    });
    this.st('INSERT INTO audit_checkpoint (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash').run(
      head.seq,
      head.hash,
    );
    this.counters.auditTransactions++;
    this.counters.auditRecords += out.length;
    return out;
  }

  /** The WAL file, opened once for fsync; null in memory or when it cannot be opened (then every commit is FULL). */
  private walFd(): number | null {
    if (this.wal === undefined) {
      try {
        this.wal = this.path === ':memory:' ? null : openSync(`${this.path}-wal`, 'r+');
      } catch {
        this.wal = null;
      }
    }
    return this.wal;
  }

  /** One fsync of the WAL at a time; callers committed meanwhile wait for the next one. */
  private startWalSync(): void {
    if (this.walSyncing || this.syncWaiters.length === 0) return;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    this.walSyncing = true;
    this.counters.backgroundFsyncs++;
    fsync(this.wal!, (err) => {
      this.walSyncing = false;
      if (err && !this.closed) {
        const failure = new StoreError('io', `the audit trail could not be flushed to disk: ${err.code ?? err.message}`);
        for (const w of waiters) w.reject(failure);
      } else {
        for (const w of waiters) w.resolve();
      }
      if (this.closed) this.closeWal();
      else this.startWalSync();
    });
  }

  private closeWal(): void {
    if (this.wal != null && !this.walSyncing) closeSync(this.wal);
    if (!this.walSyncing) this.wal = null;
  }

  /**
   * Where the next record chains on: the checkpoint (so a truncated tail stays a visible
   * gap), or the table's last row if that is further on (a checkpoint set back by hand must
   * not make appends collide with existing rows).
   */
  private headForAppend(): AuditHead {
    const cp = this.st('SELECT seq, hash FROM audit_checkpoint WHERE id = 1').get() as AuditHead | undefined;
    const last = this.st('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as AuditHead | undefined;
    if (cp && (!last || cp.seq >= last.seq)) return cp;
    return last ?? { seq: 0, hash: GENESIS_HASH };
  }

  async readAudit(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.callId !== undefined) (where.push('call_id = ?'), params.push(filter.callId));
    if (filter.agent !== undefined) (where.push('agent = ?'), params.push(filter.agent));
    if (filter.tool !== undefined) (where.push('tool = ?'), params.push(filter.tool));
    if (filter.user !== undefined) (where.push('user = ?'), params.push(filter.user));
    if (filter.event !== undefined) {
      const events = typeof filter.event === 'string' ? [filter.event] : [...filter.event];
      where.push(`json_extract(record, '$.event') IN (${events.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...events);
    }
    if (filter.since !== undefined) (where.push('ts >= ?'), params.push(isoField(filter.since, 'since')));
    if (filter.afterSeq !== undefined) (where.push('seq > ?'), params.push(filter.afterSeq));
    let sql = 'SELECT record, hash FROM audit' + (where.length ? ` WHERE ${where.join(' AND ')}` : '');
    sql += filter.order === 'desc' ? ' ORDER BY seq DESC' : ' ORDER BY seq ASC';
    if (filter.limit !== undefined) {
      if (!Number.isInteger(filter.limit) || filter.limit < 0) throw new StoreError('invalid', 'limit must be a non-negative integer');
      sql += ' LIMIT ?';
      params.push(filter.limit);
    }
    const rows = this.read(() => this.st(sql).all(...params) as { record: string; hash: string }[]);
    return rows.map((r) => auditFromText(r.record, r.hash));
  }

  async *scanAudit(): AsyncIterable<AuditRecord> {
    for await (const page of this.pages('record, hash')) {
      for (const row of page) yield auditFromText(row[1] as string, row[2] as string);
    }
  }

  async *scanAuditLinks(): AsyncIterable<AuditLink> {
    for await (const page of this.pages('rec_seq, call_id, prev_hash, hash, record')) {
      for (const row of page) yield { at: row[0] as number, seq: row[1], call_id: row[2], prev_hash: row[3], hash: row[4], text: row[5] as string };
    }
  }

  /**
   * The audit table in `seq` order, a page at a time, as raw value arrays led by `seq`.
   * Each page is one synchronous read, so no statement stays open across an await.
   */
  private async *pages(columns: string): AsyncIterable<unknown[][]> {
    this.assertOpen();
    const page = this.db.prepare(`SELECT seq, ${columns} FROM audit WHERE seq > ? ORDER BY seq LIMIT ${SCAN_PAGE}`).raw(true);
    let after = -Infinity;
    for (;;) {
      const rows = this.read(() => page.all(after) as unknown[][]);
      yield rows;
      if (rows.length < SCAN_PAGE) return;
      after = rows[rows.length - 1]![0] as number;
    }
  }

  async auditHead(): Promise<AuditHead | null> {
    return this.read(() => (this.st('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as AuditHead | undefined) ?? null);
  }

  async auditCount(): Promise<number> {
    return this.read(() => (this.st('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n);
  }

  async getAuditCheckpoint(): Promise<AuditHead | null> {
    return this.read(() => (this.st('SELECT seq, hash FROM audit_checkpoint WHERE id = 1').get() as AuditHead | undefined) ?? null);
  }

  async putAuditCheckpoint(head: AuditHead): Promise<void> {
    this.write(() =>
      this.st('INSERT INTO audit_checkpoint (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash').run(
        head.seq,
        head.hash,
      ),
    );
  }

  // ---------------------------------------------------------------- approvals

  async createApproval(a: NewApproval): Promise<Approval> {
    const row = newApprovalRow(a);
    this.write(() => {
      if (this.st('SELECT 1 FROM approvals WHERE approval_id = ?').get(row.approval_id)) {
        throw new StoreError('invalid', `approval ${row.approval_id} already exists`);
      }
      this.st(
        `INSERT INTO approvals (approval_id, call_id, user, agent, client, tool, args_digest, args, summary, status, created_at, expires_at)
         VALUES (@approval_id, @call_id, @user, @agent, @client, @tool, @args_digest, @args, @summary, @status, @created_at, @expires_at)`,
      ).run(row);
    });
    return approvalFromRow(row);
  }

  async getApproval(id: string): Promise<Approval | null> {
    const row = this.read(() => this.st('SELECT * FROM approvals WHERE approval_id = ?').get(id) as ApprovalRow | undefined);
    return row ? approvalFromRow(row) : null;
  }

  async listApprovals(filter: { status?: ApprovalStatus; agent?: string } = {}): Promise<Approval[]> {
    const rows = this.read(
      () =>
        this.st(
          'SELECT * FROM approvals WHERE (@status IS NULL OR status = @status) AND (@agent IS NULL OR agent = @agent) ORDER BY created_at, approval_id',
        ).all({ status: filter.status ?? null, agent: filter.agent ?? null }) as ApprovalRow[],
    );
    return rows.map(approvalFromRow);
  }

  async decideApproval(id: string, d: ApprovalDecision): Promise<Approval> {
    if (d.decision !== 'approved' && d.decision !== 'rejected') throw new StoreError('invalid', 'decision must be approved or rejected');
    const now = toIso(d.now);
    const records = normalizeAll(d.records ?? []);
    const result = this.write((): { row: ApprovalRow } | { error: StoreError } => {
      const row = this.st('SELECT * FROM approvals WHERE approval_id = ?').get(id) as ApprovalRow | undefined;
      if (!row) return { error: new StoreError('not_found', `no approval ${id}`) };
      if (row.status !== 'pending') return { error: new StoreError('not_pending', `approval ${id} is ${row.status}, not pending`) };
      if (row.expires_at <= now) {
        // Committed even though the caller gets an error: the approval is expired for everyone.
        const expired = this.st("UPDATE approvals SET status = 'expired' WHERE approval_id = ? RETURNING *").get(id) as ApprovalRow;
        this.appendInTransaction(normalizeAll([approvalExpiredInput(approvalFromRow(expired))]));
        return { error: new StoreError('expired', `approval ${id} expired at ${row.expires_at}`) };
      }
      this.st(
        `UPDATE approvals SET status = @status, decided_at = @now, approver = @approver, channel = @channel, reason = @reason, receipt = @receipt
         WHERE approval_id = @id`,
      ).run({ status: d.decision, now, approver: d.approver, channel: d.channel, reason: d.reason ?? null, receipt: d.receipt ?? null, id });
      this.appendInTransaction(records);
      return { row: this.st('SELECT * FROM approvals WHERE approval_id = ?').get(id) as ApprovalRow };
    });
    if ('error' in result) throw result.error;
    return approvalFromRow(result.row);
  }

  async consumeApproval(q: ConsumeQuery): Promise<Approval | null> {
    const now = toIso(q.now);
    const row = this.write(
      () =>
        this.st(
          `UPDATE approvals SET status = 'used', used_at = @now
           WHERE approval_id = (
             SELECT approval_id FROM approvals
             WHERE agent = @agent AND tool = @tool AND args_digest = @digest AND status = 'approved' AND expires_at > @now
               AND user = @user AND client IS @client
             ORDER BY decided_at, approval_id LIMIT 1)
           RETURNING *`,
        ).get({ now, agent: q.agent, tool: q.tool, digest: q.argsDigest, user: q.user, client: q.client ?? null }) as ApprovalRow | undefined,
    );
    return row ? approvalFromRow(row) : null;
  }

  async expireApprovals(now: Date | number): Promise<Approval[]> {
    const iso = toIso(now);
    // Only the rows this UPDATE changed are returned and recorded: a concurrent expiry in
    // another process changed (and recorded) the others, or will find nothing left to change.
    return this.write(() => {
      const rows = this.st("UPDATE approvals SET status = 'expired' WHERE status IN ('pending', 'approved') AND expires_at <= ? RETURNING *").all(
        iso,
      ) as ApprovalRow[];
      const expired = rows.map(approvalFromRow);
      this.appendInTransaction(normalizeAll(expired.map(approvalExpiredInput)));
      return expired;
    });
  }

  async cancelApprovals(q: { agent: string; tool?: string | null }): Promise<number> {
    return this.write(
      () =>
        this.st(
          "UPDATE approvals SET status = 'cancelled' WHERE agent = @agent AND (@tool IS NULL OR tool = @tool) AND status IN ('pending', 'approved')",
        ).run({ agent: q.agent, tool: q.tool ?? null }).changes,
    );
  }

  // ---------------------------------------------------------------- revocations

  async revoke(r: RevokeInput): Promise<Revocation> {
    this.revocationWrites++;
    const row: RevocationRow = {
      agent: r.agent,
      tool: r.tool ?? '',
      user: r.user ?? '',
      revoked_at: toIso(undefined),
      by: r.by ?? null,
      reason: r.reason ?? null,
    };
    const revocation = revocationFromRow(row);
    const records = normalizeAll([revokedInput(revocation)]);
    this.write(() => {
      this.st(
        `INSERT INTO revocations (agent, tool, user, revoked_at, by, reason) VALUES (@agent, @tool, @user, @revoked_at, @by, @reason)
         ON CONFLICT (agent, tool, user) DO UPDATE SET revoked_at = excluded.revoked_at, by = excluded.by, reason = excluded.reason`,
      ).run(row);
      this.appendInTransaction(records);
    });
    return revocation;
  }

  async listRevocations(): Promise<Revocation[]> {
    const rows = this.read(() => this.st('SELECT * FROM revocations ORDER BY revoked_at, agent, tool, user').all() as RevocationRow[]);
    return rows.map(revocationFromRow);
  }

  async isRevoked(q: { agent: string; tool: string; user?: string | null }): Promise<{ scope: 'delegation' | 'tool' } | null> {
    const rows = this.read(() => this.revocationKeys()).filter(
      (r) => r.agent === q.agent && (r.tool === '' || r.tool === q.tool) && (q.user == null || r.user === '' || r.user === q.user),
    );
    if (rows.length === 0) return null;
    return { scope: rows.some((r) => r.tool === '') ? 'delegation' : 'tool' };
  }

  /**
   * The revocations table, re-read only when it may have changed: after this connection wrote
   * it, or after any other connection (another process: `mandate revoke`) committed anything,
   * which `PRAGMA data_version` tells at a fraction of the query's cost. Every call checks.
   */
  private revocationKeys(): Array<Pick<RevocationRow, 'agent' | 'tool' | 'user'>> {
    const version = this.st('PRAGMA data_version').pluck().get() as number;
    const cached = this.revocationCache;
    if (cached && cached.version === version && cached.localWrites === this.revocationWrites) return cached.rows;
    const rows = this.st('SELECT agent, tool, user FROM revocations').all() as Array<Pick<RevocationRow, 'agent' | 'tool' | 'user'>>;
    this.revocationCache = { version, localWrites: this.revocationWrites, rows };
    return rows;
  }

  /** A `user` also lifts the revocations that named no user (they covered that user too). */
  async unrevoke(q: { agent: string; tool?: string | null; user?: string | null }): Promise<number> {
    this.revocationWrites++;
    return this.write(
      () =>
        this.st(
          "DELETE FROM revocations WHERE agent = @agent AND (@tool IS NULL OR tool = @tool) AND (@user IS NULL OR user = '' OR user = @user)",
        ).run({ agent: q.agent, tool: q.tool ?? null, user: q.user ?? null }).changes,
    );
  }

  async revokeJti(jti: string, exp: number): Promise<void> {
    const nowSec = Math.floor(Date.now() / 1000);
    this.write(() => {
      this.st('INSERT INTO revoked_jti (jti, exp) VALUES (?, ?) ON CONFLICT (jti) DO UPDATE SET exp = max(exp, excluded.exp)').run(
        jti,
        Math.ceil(exp),
      );
      // Past their expiry the tokens are refused anyway; keep the list short.
      this.st('DELETE FROM revoked_jti WHERE exp < ?').run(nowSec - 300);
    });
  }

  async isJtiRevoked(jti: string): Promise<boolean> {
    return this.read(() => this.st('SELECT 1 FROM revoked_jti WHERE jti = ?').get(jti) !== undefined);
  }

  // ---------------------------------------------------------------- rate counters

  async hitRate(q: RateQuery): Promise<RateResult> {
    checkRate(q.windowMs, q.now);
    return this.write(() => {
      const from = q.now - q.windowMs;
      this.st('DELETE FROM rate_hits WHERE key = ? AND at <= ?').run(q.key, from);
      const { n, first } = this.st('SELECT COUNT(*) AS n, MIN(at) AS first FROM rate_hits WHERE key = ? AND at > ?').get(q.key, from) as {
        n: number;
        first: number | null;
      };
      if (n >= q.limit) return { allowed: false, count: n, resetAt: (first ?? q.now) + q.windowMs };
      this.st('INSERT INTO rate_hits (key, at) VALUES (?, ?)').run(q.key, q.now);
      return { allowed: true, count: n + 1, resetAt: Math.min(first ?? q.now, q.now) + q.windowMs };
    });
  }

  async peekRate(q: Omit<RateQuery, 'limit'> & { limit?: number }): Promise<RateResult> {
    checkRate(q.windowMs, q.now);
    return this.read(() => {
      const { n, first } = this.st('SELECT COUNT(*) AS n, MIN(at) AS first FROM rate_hits WHERE key = ? AND at > ?').get(
        q.key,
        q.now - q.windowMs,
      ) as { n: number; first: number | null };
      return { allowed: q.limit === undefined || n < q.limit, count: n, resetAt: (first ?? q.now) + q.windowMs };
    });
  }

  // ---------------------------------------------------------------- delegations

  async putDelegation(d: Delegation): Promise<void> {
    this.write(() =>
      this.st(
        `INSERT INTO delegations (user, agent, client, scopes, status, updated_at) VALUES (@user, @agent, @client, @scopes, @status, @updated_at)
         ON CONFLICT (user, agent, client) DO UPDATE SET scopes = excluded.scopes, status = excluded.status, updated_at = excluded.updated_at`,
      ).run({ ...d, client: d.client ?? '', scopes: JSON.stringify(d.scopes), updated_at: isoField(d.updated_at, 'updated_at') }),
    );
  }

  async getDelegation(user: string, agent: string, client?: string | null): Promise<Delegation | null> {
    const row = this.read(() =>
      (client === undefined
        ? this.st('SELECT * FROM delegations WHERE user = ? AND agent = ? ORDER BY updated_at DESC, rowid DESC LIMIT 1').get(user, agent)
        : this.st('SELECT * FROM delegations WHERE user = ? AND agent = ? AND client = ?').get(user, agent, client ?? '')) as DelegationRow | undefined,
    );
    return row ? delegationFromRow(row) : null;
  }

  async listDelegations(): Promise<Delegation[]> {
    const rows = this.read(() => this.st('SELECT * FROM delegations ORDER BY user, agent, client').all() as DelegationRow[]);
    return rows.map(delegationFromRow);
  }

  // ---------------------------------------------------------------- meta

  async getMeta(key: string): Promise<string | null> {
    const row = this.read(() => this.st('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined);
    return row?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.write(() => this.st('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushAudit(true);
    // Whatever was committed for a background fsync is flushed now, before anyone hears "closed".
    if (this.wal != null && (this.walSyncing || this.syncWaiters.length)) {
      fsyncSync(this.wal);
      for (const w of this.syncWaiters.splice(0)) w.resolve();
    }
    this.closed = true;
    this.closeWal();
    this.db.close();
  }
}
