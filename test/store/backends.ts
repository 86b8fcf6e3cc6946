// The store suites run on both backends: the embedded SQLite file and PostgreSQL. The
// PostgreSQL variant needs `MANDATE_TEST_POSTGRES` (a postgres:// URL; `.ci/run` starts a
// throwaway cluster and sets it); without it that variant is skipped and says why. Each state
// directory a test makes gets its own schema, so parallel files and tests never share tables.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/index.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/types.js';

/** The URL of the test cluster, or undefined (then PostgreSQL variants are skipped). */
export const PG_URL = process.env.MANDATE_TEST_POSTGRES || undefined;

/** Shown in the name of every skipped PostgreSQL variant. */
export const PG_SKIP = 'skipped: MANDATE_TEST_POSTGRES is unset (.ci/run sets it)';

export interface Backend {
  name: string;
  kind: 'sqlite' | 'postgres';
  /** Opens the store of a state directory; reopening the same `home` reaches the same data. */
  open(home: string): Promise<Store>;
}

const schemas = new Map<string, string>();

/** A fresh schema name, unique across parallel test files. */
export function freshSchema(prefix = 't'): string {
  return `${prefix}_${process.pid}_${randomBytes(5).toString('hex')}`;
}

/** The schema standing for state directory `home` (made on first use). */
export function schemaFor(home: string): string {
  let s = schemas.get(home);
  if (!s) {
    s = freshSchema();
    schemas.set(home, s);
  }
  return s;
}

export const sqliteBackend: Backend = { name: 'sqlite', kind: 'sqlite', open: async (home) => openStore(home) };

export const postgresBackend: Backend = {
  name: PG_URL ? 'postgres' : `postgres (${PG_SKIP})`,
  kind: 'postgres',
  open: (home) => openPostgresStore({ url: PG_URL!, schema: schemaFor(home), storeKey: 'test-store-key', poolSize: 4 }),
};

/** Both backends, for `describe.each`; the PostgreSQL one is skipped by `skipUnlessPostgres`. */
export const backends: Backend[] = [sqliteBackend, postgresBackend];

/** True when a PostgreSQL variant must skip. */
export const noPostgres = (b: Backend): boolean => b.kind === 'postgres' && !PG_URL;

/** Drops every schema this file made (call in afterAll). */
export async function dropSchemas(): Promise<void> {
  if (!PG_URL || schemas.size === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const s of schemas.values()) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    schemas.clear();
  } finally {
    await client.end();
  }
}
