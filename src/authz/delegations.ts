// A delegation is the user's one-time consent that names an agent and bounds what it may do,
// per upstream resource. It lives outside the authorization server's own models so the
// lead's store can keep it (and the revoked-jti list) durably; the token-exchange grant reads
// it on every exchange, so a revocation takes effect at the next one.

/** Whether a delegation still authorizes exchanges. */
export type DelegationStatus = 'active' | 'revoked';

/** A user's consent naming one agent (the actor) for one client, bounded per resource. */
export interface Delegation {
  /** The user (`sub`). */
  user: string;
  /** The agent allowed to act (`act.sub` of per-tool tokens). */
  agent: string;
  /** The OAuth client that ran the delegation flow (`azp`); often the agent itself. */
  client: string;
  /** Granted scopes per resource identifier (RFC 8707 URI, as in `RESOURCES`). */
  scopes: Record<string, readonly string[]>;
  status: DelegationStatus;
  /** When consent was given (epoch seconds). */
  createdAt?: number;
}

/**
 * Where delegations and the revoked-`jti` denylist live. The embedded implementation is
 * in memory; the lead backs this with the SQLite store.
 */
export interface DelegationRegistry {
  /**
   * The delegation of `user` to `agent` through `client`, or null when there is none. A user
   * may delegate to one agent through several clients (the agent itself, Mandate's `login`):
   * each is its own delegation, so one consent never replaces another client's. Without
   * `client`, the one given last.
   */
  get(user: string, agent: string, client?: string): Promise<Delegation | null>;
  /** Records or replaces the delegation of (`d.user`, `d.agent`, `d.client`). */
  put(d: Delegation): Promise<void>;
  /** Whether a token id was revoked (and has not yet expired). */
  isJtiRevoked(jti: string): Promise<boolean>;
  /** Adds a token id to the denylist until `exp` (epoch seconds), after which it expires anyway. */
  revokeJti(jti: string, exp: number): Promise<void>;
}

/** An in-memory registry, for tests and the sandbox. Copies values in and out. */
export function createMemoryDelegationRegistry(now: () => number = () => Math.floor(Date.now() / 1000)): DelegationRegistry {
  const delegations = new Map<string, Delegation>();
  const latest = new Map<string, string>();
  const revoked = new Map<string, number>();
  const key = (user: string, agent: string, client?: string) => JSON.stringify(client === undefined ? [user, agent] : [user, agent, client]);
  const copy = (d: Delegation): Delegation => ({
    ...d,
    scopes: Object.fromEntries(Object.entries(d.scopes).map(([r, s]) => [r, [...s]])),
  });
  return {
    async get(user, agent, client) {
      const d = delegations.get(key(user, agent, client ?? latest.get(key(user, agent))));
      return d ? copy(d) : null;
    },
    async put(d) {
      delegations.set(key(d.user, d.agent, d.client), copy(d));
      latest.set(key(d.user, d.agent), d.client);
    },
    async isJtiRevoked(jti) {
      const exp = revoked.get(jti);
      if (exp === undefined) return false;
      if (exp < now()) {
        revoked.delete(jti);
        return false;
      }
      return true;
    },
    async revokeJti(jti, exp) {
      revoked.set(jti, exp);
    },
  };
}
