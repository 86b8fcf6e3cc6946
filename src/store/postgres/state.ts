// Rate counters, delegations and metadata on PostgreSQL. A rate check-and-increment runs
// under a transaction-scoped advisory lock on its key, so instances counting the same key at
// once count every call exactly once against one window.
import { checkRate, isoField } from '../checks.js';
import { delegationFromRow } from '../rows.js';
import type { DelegationRow } from '../rows.js';
import type { Delegation, DelegationStore, MetaStore, RateQuery, RateResult, RateStore } from '../types.js';
import type { Db } from './db.js';

export class PgRates implements RateStore {
  constructor(private readonly db: Db) {}

  async hitRate(q: RateQuery): Promise<RateResult> {
    checkRate(q.windowMs, q.now);
    return this.db.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.db.schema}:rate:${q.key}`]);
      const from = q.now - q.windowMs;
      await c.query('DELETE FROM rate_hits WHERE key = $1 AND at <= $2', [q.key, from]);
      const { n, first } = (await c.query<{ n: number; first: number | null }>(
        'SELECT COUNT(*)::bigint AS n, MIN(at) AS first FROM rate_hits WHERE key = $1 AND at > $2',
        [q.key, from],
      )).rows[0]!;
      if (n >= q.limit) return { allowed: false, count: n, resetAt: (first ?? q.now) + q.windowMs };
      await c.query('INSERT INTO rate_hits (key, at) VALUES ($1, $2)', [q.key, q.now]);
      return { allowed: true, count: n + 1, resetAt: Math.min(first ?? q.now, q.now) + q.windowMs };
    });
  }

  async peekRate(q: Omit<RateQuery, 'limit'> & { limit?: number }): Promise<RateResult> {
    checkRate(q.windowMs, q.now);
    const { n, first } = (await this.db.query<{ n: number; first: number | null }>(
      'SELECT COUNT(*)::bigint AS n, MIN(at) AS first FROM rate_hits WHERE key = $1 AND at > $2',
      [q.key, q.now - q.windowMs],
    )).rows[0]!;
    return { allowed: q.limit === undefined || n < q.limit, count: n, resetAt: (first ?? q.now) + q.windowMs };
  }
}

export class PgDelegations implements DelegationStore, MetaStore {
  constructor(private readonly db: Db) {}

  async putDelegation(d: Delegation): Promise<void> {
    await this.db.query(
      `INSERT INTO delegations ("user", agent, client, scopes, status, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ("user", agent, client) DO UPDATE SET scopes = excluded.scopes, status = excluded.status, updated_at = excluded.updated_at`,
      [d.user, d.agent, d.client ?? '', JSON.stringify(d.scopes), d.status, isoField(d.updated_at, 'updated_at')],
    );
  }

  async getDelegation(user: string, agent: string, client?: string | null): Promise<Delegation | null> {
    const { rows } = client === undefined
      ? await this.db.query<DelegationRow>('SELECT * FROM delegations WHERE "user" = $1 AND agent = $2 ORDER BY updated_at DESC, xmin::text::bigint DESC LIMIT 1', [user, agent])
      : await this.db.query<DelegationRow>('SELECT * FROM delegations WHERE "user" = $1 AND agent = $2 AND client = $3', [user, agent, client ?? '']);
    return rows[0] ? delegationFromRow(rows[0]) : null;
  }

  async listDelegations(): Promise<Delegation[]> {
    const { rows } = await this.db.query<DelegationRow>('SELECT * FROM delegations ORDER BY "user", agent, client');
    return rows.map(delegationFromRow);
  }

  async getMeta(key: string): Promise<string | null> {
    const { rows } = await this.db.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key]);
    return rows[0]?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }
}
