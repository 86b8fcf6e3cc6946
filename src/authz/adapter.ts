// Storage of oidc-provider's own models (clients registered at run time, grants, refresh
// tokens, sessions, interactions) in memory, one store per server. It is kept apart from
// oidc-provider's module-wide development adapter so that several servers in one process do
// not share state, and so the store survives the provider being rebuilt on key rotation.
// Nothing here survives a restart: delegations (which do) live in the DelegationRegistry.
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch ms after which the entry is gone; Infinity when it does not expire. */
  expiresAt: number;
}

/** Models whose entries belong to a grant and are removed with it (revokeByGrantId). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** Creates an adapter factory whose models share one private in-memory store. */
export function createMemoryAdapterFactory(now: () => number = Date.now): AdapterFactory {
  const entries = new Map<string, Entry>();
  const byGrant = new Map<string, Set<string>>();
  const byUid = new Map<string, string>();
  const byUserCode = new Map<string, string>();

  const live = (key: string): AdapterPayload | undefined => {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return e.payload;
  };

  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    const remove = (k: string) => {
      const e = entries.get(k);
      entries.delete(k);
      const grantId = e?.payload.grantId;
      if (grantId) byGrant.get(grantId)?.delete(k);
    };
    return {
      async upsert(id, payload, expiresIn) {
        const k = key(id);
        remove(k);
        entries.set(k, { payload, expiresAt: typeof expiresIn === 'number' ? now() + expiresIn * 1000 : Infinity });
        if (GRANTABLE.has(model) && payload.grantId) {
          const set = byGrant.get(payload.grantId) ?? new Set<string>();
          set.add(k);
          byGrant.set(payload.grantId, set);
        }
        if (model === 'Session' && payload.uid) byUid.set(payload.uid, id);
        if (payload.userCode) byUserCode.set(payload.userCode, id);
      },
      async find(id) {
        return live(key(id));
      },
      async findByUid(uid) {
        const id = byUid.get(uid);
        return id === undefined ? undefined : live(key(id));
      },
      async findByUserCode(userCode) {
        const id = byUserCode.get(userCode);
        return id === undefined ? undefined : live(key(id));
      },
      async consume(id) {
        const p = live(key(id));
        if (p) p.consumed = Math.floor(now() / 1000);
      },
      async destroy(id) {
        remove(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const k of byGrant.get(grantId) ?? []) entries.delete(k);
        byGrant.delete(grantId);
      },
    };
  };
}
