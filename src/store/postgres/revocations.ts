// Revocations on PostgreSQL. Every call asks the database (one indexed read), so a
// revocation made through any instance holds for every instance's next call; a revocation
// and its `revoked` audit record commit together, with a NOTIFY on the store's channel so
// the other instances send list_changed and drop cached tokens at once (see notify.ts).
import { revokedInput } from '../../audit/events.js';
import { normalizeAll, toIso } from '../checks.js';
import { revocationFromRow } from '../rows.js';
import type { RevocationRow } from '../rows.js';
import type { Revocation, RevocationStore, RevokeInput } from '../types.js';
import { appendInTx } from './audit.js';
import type { Db } from './db.js';
import { channelOf } from './notify.js';

export class PgRevocations implements Omit<RevocationStore, 'onRevocationsChanged'> {
  constructor(private readonly db: Db) {}

  async revoke(r: RevokeInput): Promise<Revocation> {
    const row: RevocationRow = { agent: r.agent, tool: r.tool ?? '', user: r.user ?? '', revoked_at: toIso(undefined), by: r.by ?? null, reason: r.reason ?? null };
    const revocation = revocationFromRow(row);
    const records = normalizeAll([revokedInput(revocation)]);
    await this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO revocations (agent, tool, "user", revoked_at, by, reason) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (agent, tool, "user") DO UPDATE SET revoked_at = excluded.revoked_at, by = excluded.by, reason = excluded.reason`,
        [row.agent, row.tool, row.user, row.revoked_at, row.by, row.reason],
      );
      await appendInTx(c, records);
      await c.query('SELECT pg_notify($1, $2)', [channelOf(this.db.schema), 'revocations']);
    });
    return revocation;
  }

  async listRevocations(): Promise<Revocation[]> {
    const { rows } = await this.db.query<RevocationRow>('SELECT * FROM revocations ORDER BY revoked_at, agent, tool, "user"');
    return rows.map(revocationFromRow);
  }

  async isRevoked(q: { agent: string; tool: string; user?: string | null }): Promise<{ scope: 'delegation' | 'tool' } | null> {
    const { rows } = await this.db.query<{ tool: string }>(
      `SELECT tool FROM revocations WHERE agent = $1 AND (tool = '' OR tool = $2) AND ($3::text IS NULL OR "user" = '' OR "user" = $3)`,
      [q.agent, q.tool, q.user ?? null],
    );
    if (rows.length === 0) return null;
    return { scope: rows.some((r) => r.tool === '') ? 'delegation' : 'tool' };
  }

  /** A `user` also lifts the revocations that named no user (they covered that user too). */
  async unrevoke(q: { agent: string; tool?: string | null; user?: string | null }): Promise<number> {
    return this.db.tx(async (c) => {
      const { rowCount } = await c.query(
        `DELETE FROM revocations WHERE agent = $1 AND ($2::text IS NULL OR tool = $2) AND ($3::text IS NULL OR "user" = '' OR "user" = $3)`,
        [q.agent, q.tool ?? null, q.user ?? null],
      );
      if (rowCount) await c.query('SELECT pg_notify($1, $2)', [channelOf(this.db.schema), 'revocations']);
      return rowCount ?? 0;
    });
  }

  async revokeJti(jti: string, exp: number): Promise<void> {
    const nowSec = Math.floor(Date.now() / 1000);
    await this.db.tx(async (c) => {
      await c.query('INSERT INTO revoked_jti (jti, exp) VALUES ($1, $2) ON CONFLICT (jti) DO UPDATE SET exp = GREATEST(revoked_jti.exp, excluded.exp)', [
        jti,
        Math.ceil(exp),
      ]);
      // Past their expiry the tokens are refused anyway; keep the list short.
      await c.query('DELETE FROM revoked_jti WHERE exp < $1', [nowSec - 300]);
    });
  }

  async isJtiRevoked(jti: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM revoked_jti WHERE jti = $1', [jti])).rowCount! > 0;
  }
}
