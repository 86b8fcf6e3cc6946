import { afterAll, describe, expect, test } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate } from '../../src/store/migrations.js';
import { openSqliteStore, openStore, storePath } from '../../src/store/index.js';
import { verifyStore } from '../../src/audit/verify.js';
import { cleanupHomes, fill, rawDb, tempHome } from './helpers.js';

afterAll(cleanupHomes);

describe('schema migrations', () => {
  test('a new file gets the whole schema, WAL, and private permissions', async () => {
    const home = join(tempHome(), 'nested', 'state');
    const store = openStore(home);
    await store.close();
    const db = rawDb(storePath(home));
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(['approvals', 'audit', 'audit_checkpoint', 'delegations', 'meta', 'rate_hits', 'revocations', 'revoked_jti']);
    db.close();
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(storePath(home)).mode & 0o777).toBe(0o600);
  });

  test('reopening is idempotent: same version, data intact, the chain still verifies', async () => {
    const home = tempHome();
    let store = openStore(home);
    await fill(store, 5);
    await store.setMeta('k', 'v');
    await store.close();
    for (let i = 0; i < 3; i++) {
      store = openStore(home);
      expect(await store.auditCount()).toBe(5);
      expect(await store.getMeta('k')).toBe('v');
      expect(await verifyStore(store)).toMatchObject({ ok: true, count: 5 });
      await store.close();
    }
    const db = rawDb(storePath(home));
    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  test('a file from a newer Mandate is refused with a clear message', () => {
    const path = join(tempHome(), 'future.db');
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openSqliteStore(path)).toThrow(/newer than this Mandate knows/);
  });
});
