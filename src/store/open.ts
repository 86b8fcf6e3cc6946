// Which store a process opens: `MANDATE_STORE` if set, else the config's `store`, else the
// embedded SQLite file in the state directory. A `postgres://` URL opens the PostgreSQL store
// (several instances on one database); `MANDATE_STORE_KEY` seals the authorization server's
// secrets there. Every message names the URL without its password.
import { openStore } from './index.js';
import { StoreError } from './errors.js';
import { isPostgresUrl, openPostgresStore } from './postgres/index.js';
import type { Store } from './types.js';

/** The store setting in force: `sqlite` or a `postgres://` URL. */
export function storeSetting(env: NodeJS.ProcessEnv, configured?: string): string {
  const value = env.MANDATE_STORE?.trim() || configured || 'sqlite';
  if (value !== 'sqlite' && !isPostgresUrl(value)) {
    throw new StoreError('invalid', `${env.MANDATE_STORE?.trim() ? 'MANDATE_STORE' : 'store'} must be "sqlite" or a postgres:// URL`);
  }
  return value;
}

/** Opens the store the environment and config name (see `storeSetting`). */
export async function openConfiguredStore(home: string, env: NodeJS.ProcessEnv, configured?: string): Promise<Store> {
  const setting = storeSetting(env, configured);
  if (setting === 'sqlite') return openStore(home);
  return openPostgresStore({ url: setting, storeKey: env.MANDATE_STORE_KEY || null });
}
