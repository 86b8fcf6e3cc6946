// What the embedded server remembers beside oidc-provider's own models, kept through the same
// adapter so it is shared exactly as they are (in memory on SQLite, in the database on
// PostgreSQL): the profiles of users it can sign in, and the agent each grant names when it is
// not the client itself (the consent's `requested_actor`, the `act` of its tokens).
import type { AdapterFactory } from 'oidc-provider';
import type { UserProfile } from './config.js';

/** Users the server knows, by `sub`. */
export interface UserDirectory {
  get(sub: string): Promise<UserProfile | undefined>;
  put(user: UserProfile): Promise<void>;
}

/** The named agent of a grant, by grant id (none: the client acts for itself). */
export interface GrantActors {
  get(grantId: string): Promise<string | undefined>;
  set(grantId: string, agent: string): Promise<void>;
}

/** How long a grant's actor is kept: as long as the grant itself may live (config `ttl.Grant`). */
const GRANT_TTL_SECONDS = 90 * 24 * 3600;

/** Users over the adapter's `MandateUser` model; `builtIn` users are always known. */
export function userDirectory(adapter: AdapterFactory, builtIn: readonly UserProfile[]): UserDirectory {
  const model = adapter('MandateUser');
  const fixed = new Map(builtIn.map((u) => [u.sub, u]));
  return {
    async get(sub) {
      const known = fixed.get(sub);
      if (known) return known;
      const p = await model.find(sub);
      return p ? { sub, name: String(p.name ?? sub), ...(typeof p.email === 'string' ? { email: p.email } : {}) } : undefined;
    },
    async put(user) {
      if (fixed.has(user.sub)) return;
      await model.upsert(user.sub, { ...user });
    },
  };
}

/** Grant actors over the adapter's `MandateGrantActor` model, remembered locally once read (a grant's actor never changes). */
export function grantActors(adapter: AdapterFactory): GrantActors {
  const model = adapter('MandateGrantActor');
  const seen = new Map<string, string | null>();
  return {
    async get(grantId) {
      if (seen.has(grantId)) return seen.get(grantId) ?? undefined;
      const p = await model.find(grantId);
      const agent = typeof p?.agent === 'string' ? p.agent : null;
      if (agent) seen.set(grantId, agent);
      return agent ?? undefined;
    },
    async set(grantId, agent) {
      await model.upsert(grantId, { agent }, GRANT_TTL_SECONDS);
      seen.set(grantId, agent);
    },
  };
}
