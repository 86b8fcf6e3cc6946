// One pool on the store's schema and the two ways to use it: a single statement, or a
// transaction retried (whole) when PostgreSQL aborts it for a deadlock or a serialization
// failure. Every failure leaves as a `StoreError` whose message is safe to show.
import type pg from 'pg';
import { StoreError } from '../errors.js';
import { toStoreError } from './connect.js';

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

export class Db {
  private closed = false;

  constructor(
    readonly pool: pg.Pool,
    /** The URL without its password. */
    readonly display: string,
    /** The schema (also names this store's NOTIFY channel). */
    readonly schema: string,
  ) {}

  assertOpen(): void {
    if (this.closed) throw new StoreError('closed', 'the store is closed');
  }

  /** One statement on any pooled connection. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    this.assertOpen();
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw toStoreError(err, this.display);
    }
  }

  /** `fn` inside BEGIN … COMMIT on one connection; run again (up to 5 times) after a deadlock or serialization failure. */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>, opts: { synchronousCommit?: boolean } = {}): Promise<T> {
    this.assertOpen();
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw toStoreError(err, this.display);
      }
      let broken = false;
      // The connection may die between statements: that is this transaction's failure, not the process's.
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        if (opts.synchronousCommit === false) await client.query('SET LOCAL synchronous_commit = off');
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && RETRYABLE.has(code) && attempt < 5) continue;
        throw toStoreError(err, this.display);
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
