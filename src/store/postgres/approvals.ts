// Approvals on PostgreSQL. A decision, an expiry and their audit records commit in one
// transaction (neither exists without the other). Consuming is one UPDATE whose WHERE names
// `status = 'approved'` itself, so of two instances racing for the same approval the second
// re-checks the row after the first commits, finds it `used`, and gets nothing.
import { approvalExpiredInput } from '../../audit/events.js';
import { StoreError } from '../errors.js';
import { normalizeAll, toIso } from '../checks.js';
import { approvalFromRow, newApprovalRow } from '../rows.js';
import type { ApprovalRow } from '../rows.js';
import type { Approval, ApprovalDecision, ApprovalStatus, ApprovalStore, ConsumeQuery, NewApproval } from '../types.js';
import { appendInTx } from './audit.js';
import type { Db } from './db.js';

export class PgApprovals implements ApprovalStore {
  constructor(private readonly db: Db) {}

  async createApproval(a: NewApproval): Promise<Approval> {
    const row = newApprovalRow(a);
    const { rowCount } = await this.db.query(
      `INSERT INTO approvals (approval_id, call_id, "user", agent, client, tool, args_digest, args, summary, status, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (approval_id) DO NOTHING`,
      [row.approval_id, row.call_id, row.user, row.agent, row.client, row.tool, row.args_digest, row.args, row.summary, row.status, row.created_at, row.expires_at],
    );
    if (rowCount === 0) throw new StoreError('invalid', `approval ${row.approval_id} already exists`);
    return approvalFromRow(row);
  }

  async getApproval(id: string): Promise<Approval | null> {
    const { rows } = await this.db.query<ApprovalRow>('SELECT * FROM approvals WHERE approval_id = $1', [id]);
    return rows[0] ? approvalFromRow(rows[0]) : null;
  }

  async listApprovals(filter: { status?: ApprovalStatus; agent?: string } = {}): Promise<Approval[]> {
    const { rows } = await this.db.query<ApprovalRow>(
      'SELECT * FROM approvals WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR agent = $2) ORDER BY created_at, approval_id',
      [filter.status ?? null, filter.agent ?? null],
    );
    return rows.map(approvalFromRow);
  }

  async decideApproval(id: string, d: ApprovalDecision): Promise<Approval> {
    if (d.decision !== 'approved' && d.decision !== 'rejected') throw new StoreError('invalid', 'decision must be approved or rejected');
    const now = toIso(d.now);
    const records = normalizeAll(d.records ?? []);
    const result = await this.db.tx(async (c): Promise<{ row: ApprovalRow } | { error: StoreError }> => {
      const found = (await c.query<ApprovalRow>('SELECT * FROM approvals WHERE approval_id = $1 FOR UPDATE', [id])).rows[0];
      if (!found) return { error: new StoreError('not_found', `no approval ${id}`) };
      if (found.status !== 'pending') return { error: new StoreError('not_pending', `approval ${id} is ${found.status}, not pending`) };
      if (found.expires_at <= now) {
        // Committed even though the caller gets an error: the approval is expired for everyone.
        const expired = (await c.query<ApprovalRow>("UPDATE approvals SET status = 'expired' WHERE approval_id = $1 RETURNING *", [id])).rows[0]!;
        await appendInTx(c, normalizeAll([approvalExpiredInput(approvalFromRow(expired))]));
        return { error: new StoreError('expired', `approval ${id} expired at ${found.expires_at}`) };
      }
      const updated = await c.query<ApprovalRow>(
        `UPDATE approvals SET status = $1, decided_at = $2, approver = $3, channel = $4, reason = $5, receipt = $6
         WHERE approval_id = $7 RETURNING *`,
        [d.decision, now, d.approver, d.channel, d.reason ?? null, d.receipt ?? null, id],
      );
      await appendInTx(c, records);
      return { row: updated.rows[0]! };
    });
    if ('error' in result) throw result.error;
    return approvalFromRow(result.row);
  }

  async consumeApproval(q: ConsumeQuery): Promise<Approval | null> {
    const now = toIso(q.now);
    const { rows } = await this.db.query<ApprovalRow>(
      `UPDATE approvals SET status = 'used', used_at = $1
       WHERE status = 'approved' AND expires_at > $1 AND approval_id = (
         SELECT approval_id FROM approvals
         WHERE agent = $2 AND tool = $3 AND args_digest = $4 AND status = 'approved' AND expires_at > $1
           AND "user" = $5 AND client IS NOT DISTINCT FROM $6
         ORDER BY decided_at, approval_id LIMIT 1
         FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [now, q.agent, q.tool, q.argsDigest, q.user, q.client ?? null],
    );
    return rows[0] ? approvalFromRow(rows[0]) : null;
  }

  async expireApprovals(now: Date | number): Promise<Approval[]> {
    const iso = toIso(now);
    // Only the rows this UPDATE changed are returned and recorded: a concurrent expiry on
    // another instance changed (and recorded) the others, or finds nothing left to change.
    return this.db.tx(async (c) => {
      const { rows } = await c.query<ApprovalRow>(
        `UPDATE approvals SET status = 'expired'
         WHERE approval_id IN (
           SELECT approval_id FROM approvals WHERE status IN ('pending', 'approved') AND expires_at <= $1
           ORDER BY approval_id FOR UPDATE SKIP LOCKED)
         AND status IN ('pending', 'approved')
         RETURNING *`,
        [iso],
      );
      const expired = rows.map(approvalFromRow).sort((a, b) => (a.approval_id < b.approval_id ? -1 : 1));
      await appendInTx(c, normalizeAll(expired.map(approvalExpiredInput)));
      return expired;
    });
  }

  async cancelApprovals(q: { agent: string; tool?: string | null }): Promise<number> {
    const { rowCount } = await this.db.query(
      "UPDATE approvals SET status = 'cancelled' WHERE agent = $1 AND ($2::text IS NULL OR tool = $2) AND status IN ('pending', 'approved')",
      [q.agent, q.tool ?? null],
    );
    return rowCount ?? 0;
  }
}
