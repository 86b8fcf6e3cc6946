// The audit trail on PostgreSQL: one hash chain however many instances append to it. Each
// append transaction first locks the one `audit_lock` row, then reads the head and chains on
// it, so `seq` and `prev_hash` are assigned inside the database in lock order, which is also
// commit order: a reader (a verify while writers append) always sees a prefix of the chain.
// Per instance, appends made while a transaction is in flight share the next one (group
// commit); a durable caller's transaction commits with synchronous_commit on (its WAL flushed
// before it resolves); a batch nobody waits to see on disk commits with it off and becomes
// durable with the next durable commit, which flushes the WAL before it.
import type pg from 'pg';
import { GENESIS_HASH, sealRecord } from '../../audit/record.js';
import type { AuditInput, AuditLink, AuditRecord, NormalizedAuditInput } from '../../audit/record.js';
import { StoreError } from '../errors.js';
import { isoField, normalizeAll } from '../checks.js';
import { auditFromText } from '../rows.js';
import type { AppendAuditOptions, AuditFilter, AuditHead, AuditStore } from '../types.js';
import type { Db } from './db.js';

interface PendingAppend {
  inputs: NormalizedAuditInput[];
  durable: boolean;
  resolve: (records: AuditRecord[]) => void;
  reject: (err: unknown) => void;
}

/** Counters for tests and benchmarks. */
export interface PgAuditStats {
  auditTransactions: number;
  auditRecords: number;
}

const SCAN_PAGE = 2000;
/** At most this long does a non-durable append wait for company before it commits on its own. */
const LAZY_COMMIT_MS = 5;

/**
 * Appends `inputs` inside the caller's transaction, after locking the chain head. Used by the
 * group commit and by the writes whose audit record must commit with them (a decision, an
 * expiry, a revocation).
 */
export async function appendInTx(c: pg.ClientBase, inputs: NormalizedAuditInput[]): Promise<AuditRecord[]> {
  if (inputs.length === 0) return [];
  await c.query('SELECT id FROM audit_lock WHERE id = 1 FOR UPDATE');
  const heads = await c.query<{ cp_seq: number | null; cp_hash: string | null; last_seq: number | null; last_hash: string | null }>(
    `SELECT cp.seq AS cp_seq, cp.hash AS cp_hash, last.seq AS last_seq, last.hash AS last_hash
     FROM (SELECT 1) one
     LEFT JOIN audit_checkpoint cp ON cp.id = 1
     LEFT JOIN LATERAL (SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1) last ON true`,
  );
  const h = heads.rows[0]!;
  // The checkpoint, so a truncated tail stays a visible gap; the table's last row if further on.
  let head: AuditHead =
    h.cp_seq !== null && (h.last_seq === null || h.cp_seq >= h.last_seq)
      ? { seq: h.cp_seq, hash: h.cp_hash! }
      : h.last_seq !== null
        ? { seq: h.last_seq, hash: h.last_hash! }
        : { seq: 0, hash: GENESIS_HASH };
  const ts = new Date().toISOString();
  const cols: { seq: number[]; text: string[]; hash: string[]; call: (string | null)[]; event: string[]; ts: string[]; agent: (string | null)[]; tool: (string | null)[]; user: (string | null)[] } =
    { seq: [], text: [], hash: [], call: [], event: [], ts: [], agent: [], tool: [], user: [] };
  const out = inputs.map((input) => {
    const { record, text } = sealRecord(input, head.seq + 1, ts, head.hash);
    cols.seq.push(record.seq);
    cols.text.push(text);
    cols.hash.push(record.hash);
    cols.call.push(record.call_id ?? null);
    cols.event.push(record.event);
    cols.ts.push(record.ts);
    cols.agent.push((record.agent as string | null | undefined) ?? null);
    cols.tool.push((record.tool as string | null | undefined) ?? null);
    cols.user.push((record.user as string | null | undefined) ?? null);
    head = record;
    return record;
  });
  await c.query(
    `INSERT INTO audit (seq, record, hash, call_id, event, ts, agent, tool, "user")
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])`,
    [cols.seq, cols.text, cols.hash, cols.call, cols.event, cols.ts, cols.agent, cols.tool, cols.user],
  );
  await c.query(
    'INSERT INTO audit_checkpoint (id, seq, hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
    [head.seq, head.hash],
  );
  return out;
}

/** The audit role on PostgreSQL. */
export class PgAudit implements AuditStore {
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  private lazyTimer: NodeJS.Timeout | null = null;
  readonly counters: PgAuditStats = { auditTransactions: 0, auditRecords: 0 };

  constructor(private readonly db: Db) {}

  appendAudit(inputs: AuditInput[], options: AppendAuditOptions = {}): Promise<AuditRecord[]> {
    if (this.db.isClosed) return Promise.reject(new StoreError('closed', 'the store is closed'));
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
      if (durable) this.schedule();
      else if (!this.scheduled && !this.lazyTimer) this.lazyTimer = setTimeout(() => this.schedule(), LAZY_COMMIT_MS);
    });
  }

  private schedule(): void {
    if (this.lazyTimer) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = null;
    }
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        // Whatever queued while the transaction was in flight goes in the next one.
        if (this.queue.length) {
          if (this.queue.some((p) => p.durable)) this.schedule();
          else if (!this.lazyTimer) this.lazyTimer = setTimeout(() => this.schedule(), LAZY_COMMIT_MS);
        }
      });
    });
  }

  /** Commits every queued append in one transaction, then settles each caller. */
  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const durable = batch.some((p) => p.durable);
    let sealed: AuditRecord[];
    try {
      sealed = await this.db.tx((c) => appendInTx(c, batch.flatMap((p) => p.inputs)), { synchronousCommit: durable });
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    this.counters.auditTransactions++;
    this.counters.auditRecords += sealed.length;
    let at = 0;
    for (const p of batch) {
      p.resolve(sealed.slice(at, at + p.inputs.length));
      at += p.inputs.length;
    }
  }

  /** Commits what is queued (closing). */
  async drain(): Promise<void> {
    while (this.flushing || this.queue.length || this.scheduled) {
      if (this.flushing) await this.flushing;
      else if (this.queue.length && !this.scheduled) this.schedule();
      else await new Promise((r) => setImmediate(r));
    }
  }

  async readAudit(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.callId !== undefined) add('call_id = ?', filter.callId);
    if (filter.agent !== undefined) add('agent = ?', filter.agent);
    if (filter.tool !== undefined) add('tool = ?', filter.tool);
    if (filter.user !== undefined) add('"user" = ?', filter.user);
    if (filter.event !== undefined) add('event = ANY(?::text[])', typeof filter.event === 'string' ? [filter.event] : [...filter.event]);
    if (filter.since !== undefined) add('ts >= ?', isoField(filter.since, 'since'));
    if (filter.afterSeq !== undefined) add('seq > ?', filter.afterSeq);
    let sql = 'SELECT record, hash FROM audit' + (where.length ? ` WHERE ${where.join(' AND ')}` : '');
    sql += filter.order === 'desc' ? ' ORDER BY seq DESC' : ' ORDER BY seq ASC';
    if (filter.limit !== undefined) {
      if (!Number.isInteger(filter.limit) || filter.limit < 0) throw new StoreError('invalid', 'limit must be a non-negative integer');
      params.push(filter.limit);
      sql += ` LIMIT $${params.length}`;
    }
    const { rows } = await this.db.query<{ record: string; hash: string }>(sql, params);
    return rows.map((r) => auditFromText(r.record, r.hash));
  }

  async *scanAudit(): AsyncIterable<AuditRecord> {
    for await (const page of this.pages()) for (const row of page) yield auditFromText(row.record, row.hash);
  }

  async *scanAuditLinks(): AsyncIterable<AuditLink> {
    for await (const page of this.pages()) {
      for (const row of page) {
        let parsed: { seq?: unknown; call_id?: unknown; prev_hash?: unknown } = {};
        try {
          const p: unknown = JSON.parse(row.record);
          if (p !== null && typeof p === 'object') parsed = p as typeof parsed;
        } catch {
          // Unparseable text fails on its hash (or, rehashed, on its seq) in the verifier.
        }
        yield { at: row.seq, seq: parsed.seq, call_id: parsed.call_id, prev_hash: parsed.prev_hash, hash: row.hash, text: row.record };
      }
    }
  }

  /** The table in `seq` order, a page per statement: each page sees every commit before it, so the walk sees a prefix. */
  private async *pages(): AsyncIterable<Array<{ seq: number; record: string; hash: string }>> {
    let after = -1;
    for (;;) {
      const { rows } = await this.db.query<{ seq: number; record: string; hash: string }>(
        `SELECT seq, record, hash FROM audit WHERE seq > $1 ORDER BY seq LIMIT ${SCAN_PAGE}`,
        [after],
      );
      yield rows;
      if (rows.length < SCAN_PAGE) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  async auditHead(): Promise<AuditHead | null> {
    const { rows } = await this.db.query<AuditHead>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    return rows[0] ?? null;
  }

  async auditCount(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT COUNT(*)::bigint AS n FROM audit');
    return rows[0]!.n;
  }

  async getAuditCheckpoint(): Promise<AuditHead | null> {
    const { rows } = await this.db.query<AuditHead>('SELECT seq, hash FROM audit_checkpoint WHERE id = 1');
    return rows[0] ?? null;
  }

  async putAuditCheckpoint(head: AuditHead): Promise<void> {
    await this.db.query(
      'INSERT INTO audit_checkpoint (id, seq, hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
      [head.seq, head.hash],
    );
  }
}
