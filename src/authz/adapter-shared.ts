// oidc-provider's models on the shared store (PostgreSQL), so every instance of a team
// deployment serves every OAuth step and a restart logs nobody out: each adapter call is one
// statement of the store's authorization server role (ids hashed, payloads sealed there).
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { AuthzStateStore } from '../store/postgres/authz.js';

/** Creates an adapter factory whose models live in `state`. */
export function createSharedAdapterFactory(state: AuthzStateStore): AdapterFactory {
  return (model: string): Adapter => ({
    upsert: (id, payload, expiresIn) => state.upsert(model, id, payload as Record<string, unknown>, expiresIn),
    find: async (id) => (await state.find(model, id)) as AdapterPayload | undefined,
    findByUid: async (uid) => (await state.findByUid(model, uid)) as AdapterPayload | undefined,
    findByUserCode: async (code) => (await state.findByUserCode(model, code)) as AdapterPayload | undefined,
    consume: (id) => state.consume(model, id),
    destroy: (id) => state.destroy(model, id),
    revokeByGrantId: (grantId) => state.revokeByGrantId(grantId),
  });
}
