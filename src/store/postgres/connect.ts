// How Mandate reaches PostgreSQL: a `postgres://` URL (config `store` or `MANDATE_STORE`),
// optionally naming a schema (`?schema=team_a`, default `public`), turned into a pool whose
// sessions use that schema. The URL's password never appears in a message or a log line:
// `describeUrl` is the only way a URL is shown.
import pg from 'pg';
import { StoreError } from '../errors.js';

/** Where the store lives: the connection string without `schema`, and the schema. */
export interface PostgresTarget {
  /** For pg only; carries the password. Never log it: use `display`. */
  connectionString: string;
  schema: string;
  /** The URL with its password replaced by `***`. */
  display: string;
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** True for the values of `store` / `MANDATE_STORE` that name PostgreSQL. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** The URL with its password hidden, for messages and logs. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.searchParams.delete('password');
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/** Splits `?schema=` off the URL; refuses a URL or schema name it cannot use, naming neither password nor secret. */
export function parseTarget(url: string, schemaOverride?: string): PostgresTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StoreError('invalid', 'store: not a valid postgres:// URL');
  }
  if (!isPostgresUrl(url)) throw new StoreError('invalid', 'store: a PostgreSQL store needs a postgres:// URL');
  const schema = schemaOverride ?? u.searchParams.get('schema') ?? 'public';
  u.searchParams.delete('schema');
  if (!SCHEMA.test(schema) || schema.startsWith('pg_')) throw new StoreError('invalid', `store: schema "${schema.slice(0, 70)}" must be lower-case letters, digits and _ (not starting with pg_)`);
  return { connectionString: u.toString(), schema, display: describeUrl(u.toString()) + (schema === 'public' ? '' : ` (schema ${schema})`) };
}

/** int8 (counts, seq) as numbers: Mandate's never come near 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** A pool on the target's schema. Errors of idle connections (the server went away) are absorbed; the next query reports them. */
export function createPool(target: PostgresTarget, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    options: `-c search_path=${target.schema}`,
    application_name: 'mandate',
    types,
  });
  pool.on('error', () => undefined);
  return pool;
}

/** A dedicated connection (for LISTEN), same settings as the pool's. */
export function createClient(target: PostgresTarget): pg.Client {
  return new pg.Client({
    connectionString: target.connectionString,
    connectionTimeoutMillis: 5000,
    options: `-c search_path=${target.schema}`,
    application_name: 'mandate-listen',
    types,
  });
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

/** Whether an error means the database cannot be reached (rather than a refused statement). */
export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && UNREACHABLE.has(e.code)) return true;
  const m = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i.test(m);
}

/**
 * Any error of pg as a `StoreError` whose message is safe to show: `io` when the database is
 * unreachable (callers fail closed), else the server's own message (which never carries the
 * connection string). A `StoreError` passes through.
 */
export function toStoreError(err: unknown, display: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (isUnreachable(err)) return new StoreError('io', `the PostgreSQL store at ${display} is unreachable${code ? ` (${code})` : ''}: ${message}`);
  return new StoreError('io', `the PostgreSQL store refused a statement${code ? ` (${code})` : ''}: ${message}`);
}
