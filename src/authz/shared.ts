// Which authorization server state a store offers: on PostgreSQL, the role every instance
// shares (sealed with `MANDATE_STORE_KEY`, so refused without it); on SQLite none (the
// embedded server keeps its models in memory and its keys in `<home>/keys`).
import type { Store } from '../store/types.js';
import type { AuthzStateStore } from '../store/postgres/authz.js';

/** The message when PostgreSQL is used without `MANDATE_STORE_KEY`. */
export const STORE_KEY_REQUIRED =
  'MANDATE_STORE_KEY is required with a PostgreSQL store: the embedded authorization server keeps refresh tokens, client secrets and signing keys there, sealed with it. Set it to the same long random secret on every instance (e.g. `openssl rand -base64 32`).';

/** The store's shared authorization server state, or null on SQLite; throws on PostgreSQL without a store key. */
export function sharedAuthzState(store: Store): AuthzStateStore | null {
  const state = store.kind === 'postgres' ? (store as Store & { authz?: AuthzStateStore }).authz : undefined;
  if (!state) return null;
  if (!state.sealed) throw new Error(STORE_KEY_REQUIRED);
  return state;
}
