// Where Mandate's state lives: `<home>/mandate.db`, the embedded SQLite store, in a
// directory only its owner can read.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteStore } from './sqlite.js';
import type { SqliteStore } from './sqlite.js';

export type * from './types.js';
export { StoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export { openSqliteStore } from './sqlite.js';
export type { SqliteStore, SqliteStoreStats } from './sqlite.js';

/** The store file inside a state directory. */
export function storePath(home: string): string {
  return join(home, 'mandate.db');
}

/** Opens the store of the state directory `home` (created with mode 0700 if missing). */
export function openStore(home: string): SqliteStore {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return openSqliteStore(storePath(home));
}
