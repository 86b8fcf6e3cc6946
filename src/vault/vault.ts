// The vault: hands the egress gate a provider access token for one account, and keeps it
// fresh. Refreshes ahead of expiry, one refresh at a time per account (concurrent callers
// share it), with a bounded retry on transient failures. Per provider: Slack rotation (every
// refresh returns a new refresh token, stored before the new access token is used), HubSpot's
// 30-minute tokens, Google's refresh with a subset of the granted scopes (each scope set gets
// its own, genuinely narrower, access token). A refusal that ends the grant (invalid_grant and
// its kin) removes it and says which `mandate connect` command brings it back.
import { AccountUnavailable } from '../errors.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { UpstreamProvider } from '../resources.js';
import { GrantStore, viewOf, type Grant, type GrantView } from './grants.js';
import { CONNECT_NAME, ProviderOAuthError, SPEC_OF, type AccountIdentity, type ProviderEndpoints, type TokenAnswer } from './providers.js';

export interface VaultOptions {
  grants: GrantStore;
  /** The endpoints in force per provider (config, else the real ones). */
  endpoints: (provider: UpstreamProvider) => ProviderEndpoints;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Refresh this many seconds before expiry (default 120). */
  refreshAheadSeconds?: number;
  /** Attempts for a transient failure (default 3) and the first backoff (default 200 ms). */
  retry?: { tries?: number; baseDelayMs?: number };
  now?: () => number;
}

/** A provider access token for one request, and whose account it opens. */
export interface AccountCredential {
  token: string;
  identity: AccountIdentity;
  /** The scopes this access token carries (Google: the narrowed set). */
  scopes: string[];
}

export interface Vault {
  /** An access token of `account` good for `scopes` (refreshed or narrowed as needed). */
  credential(provider: UpstreamProvider, account: string, scopes: readonly string[]): Promise<AccountCredential>;
  /** The provider refused the current access token: refresh once (when refreshable) and answer anew. */
  renew(provider: UpstreamProvider, account: string, scopes: readonly string[]): Promise<AccountCredential>;
  /** What may be said of an account's grant, or null when it is not connected. */
  view(provider: UpstreamProvider, account: string): Promise<GrantView | null>;
  stats(): { refreshes: number };
}

/** The command that (re)connects an account. */
export function connectCommand(provider: UpstreamProvider, account: string): string {
  return `mandate connect ${CONNECT_NAME[provider]} --account ${account}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const scopeKey = (s: readonly string[]) => [...new Set(s)].sort().join(' ');

/** Creates the vault over a grant store. */
export function createVault(opts: VaultOptions): Vault {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const logger = opts.logger ?? silentLogger();
  const now = () => Math.floor((opts.now ?? Date.now)() / 1000);
  const ahead = opts.refreshAheadSeconds ?? 120;
  const tries = Math.max(1, opts.retry?.tries ?? 3);
  const baseDelay = opts.retry?.baseDelayMs ?? 200;
  // Google: narrowed access tokens per (account, scope set), in memory only.
  const narrowed = new Map<string, { token: string; exp: number; scopes: string[] }>();
  const flights = new Map<string, Promise<unknown>>();
  let refreshes = 0;

  /** One flight per key: concurrent callers share it. */
  function single<T>(key: string, run: () => Promise<T>): Promise<T> {
    const existing = flights.get(key) as Promise<T> | undefined;
    if (existing) return existing;
    const p = run().finally(() => flights.delete(key));
    flights.set(key, p);
    return p;
  }

  const unavailable = (provider: UpstreamProvider, account: string, why: string, detail?: string) =>
    new AccountUnavailable(`The ${SPEC_OF[provider].label} account "${account}" ${why}: run "${connectCommand(provider, account)}".`, { detail });

  async function load(provider: UpstreamProvider, account: string): Promise<Grant> {
    const g = await opts.grants.get(provider, account);
    if (!g) throw unavailable(provider, account, 'is not connected');
    return g;
  }

  /** POSTs a refresh to the provider's token endpoint, retrying transient failures. */
  async function refreshRequest(provider: UpstreamProvider, g: Grant, scopes?: readonly string[]): Promise<TokenAnswer> {
    const spec = SPEC_OF[provider];
    const app = await opts.grants.app(provider);
    if (!app) throw unavailable(provider, g.account, 'cannot be refreshed: its app credentials are not in the secret store');
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: g.refreshToken!, client_id: app.clientId, client_secret: app.clientSecret });
    if (scopes) form.set('scope', scopes.join(' '));
    let last: unknown;
    for (let attempt = 1; attempt <= tries; attempt++) {
      try {
        let res: Response;
        try {
          res = await fetchFn(opts.endpoints(provider).tokenUrl, {
            method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form, signal: AbortSignal.timeout(10_000),
          });
        } catch (err) {
          throw new ProviderOAuthError('transient', 'unreachable', `${spec.label} could not be reached (${err instanceof Error ? err.message : String(err)})`);
        }
        const text = await res.text();
        let body: unknown;
        try { body = text ? JSON.parse(text) : undefined; } catch { body = text; }
        refreshes += 1;
        return spec.readToken(res.status, body);
      } catch (err) {
        last = err;
        if (!(err instanceof ProviderOAuthError) || err.kind !== 'transient' || attempt === tries) break;
        await sleep(baseDelay * 2 ** (attempt - 1));
      }
    }
    throw last;
  }

  /** Refreshes the account's own access token; a rotated refresh token is stored before the access token is used. */
  async function refreshGrant(provider: UpstreamProvider, g: Grant): Promise<Grant> {
    try {
      const t = await refreshRequest(provider, g);
      const next: Grant = {
        ...g,
        accessToken: t.accessToken,
        refreshToken: t.refreshToken ?? g.refreshToken,
        expiresAt: t.expiresIn !== undefined ? now() + t.expiresIn : undefined,
        scopes: t.scopes?.length ? t.scopes : g.scopes,
      };
      await opts.grants.put(next); // before anyone uses the new access token (Slack: the old refresh token is spent)
      logger.info({ event: 'account_refreshed', provider, account: g.account, rotated: Boolean(t.refreshToken && t.refreshToken !== g.refreshToken), exp: next.expiresAt }, 'provider access token refreshed');
      return next;
    } catch (err) {
      throw await ended(provider, g, err);
    }
  }

  /** Reads a refresh failure: an ended grant is removed; anything else stays for a later try. */
  async function ended(provider: UpstreamProvider, g: Grant, err: unknown): Promise<Error> {
    if (err instanceof AccountUnavailable) return err;
    if (err instanceof ProviderOAuthError && err.kind === 'ended') {
      await opts.grants.remove(provider, g.account).catch(() => false);
      logger.warn({ event: 'account_ended', provider, account: g.account, code: err.providerCode }, 'the provider ended the connection');
      return unavailable(provider, g.account, `was disconnected by ${SPEC_OF[provider].label} (${err.providerCode}: its refresh token was revoked or has expired)`, err.message);
    }
    const why = err instanceof ProviderOAuthError && err.kind === 'transient'
      ? `could not be refreshed: ${SPEC_OF[provider].label} is not answering (try again shortly; if it persists`
      : `could not be refreshed (${err instanceof Error ? err.message : String(err)}; if it persists`;
    return new AccountUnavailable(`The ${SPEC_OF[provider].label} account "${g.account}" ${why}, run "${connectCommand(provider, g.account)}").`, {
      detail: err instanceof Error ? err.message : String(err),
    });
  }

  const fresh = (exp: number | undefined) => exp === undefined || exp - ahead > now();

  async function current(provider: UpstreamProvider, account: string, force: boolean): Promise<Grant> {
    const g = await load(provider, account);
    if (!force && fresh(g.expiresAt)) return g;
    if (!g.refreshToken) {
      if (!force && g.expiresAt === undefined) return g;
      throw unavailable(provider, account, force ? 'was refused by the provider (the pasted token was revoked)' : 'has expired and cannot be refreshed');
    }
    return single(`grant:${provider}:${account}`, async () => {
      // Another flight may have refreshed it while this one waited for the store.
      const again = await load(provider, account);
      if (!force && fresh(again.expiresAt)) return again;
      if (force && again.accessToken !== g.accessToken) return again;
      return refreshGrant(provider, again);
    });
  }

  function checkScopes(provider: UpstreamProvider, g: Grant, scopes: readonly string[]): void {
    // Pasted Slack tokens and HubSpot private apps may not tell their scopes: the provider decides then.
    if (g.scopes.length === 0) return;
    const missing = scopes.filter((s) => !g.scopes.includes(s));
    if (missing.length) throw unavailable(provider, g.account, `was not granted ${missing.join(', ')}`);
  }

  async function credential(provider: UpstreamProvider, account: string, scopes: readonly string[], force: boolean): Promise<AccountCredential> {
    const g = await current(provider, account, force && provider !== 'calendar');
    checkScopes(provider, g, scopes);
    const want = scopeKey(scopes);
    // Google: a refresh may ask for a subset of the granted scopes; the tool gets only those.
    if (provider === 'calendar' && g.refreshToken && want && want !== scopeKey(g.scopes)) {
      const key = `${account}\u0000${want}`;
      const hit = narrowed.get(key);
      if (!force && hit && fresh(hit.exp)) return { token: hit.token, identity: g.identity, scopes: hit.scopes };
      return single(`narrow:${key}`, async () => {
        try {
          const t = await refreshRequest(provider, g, want.split(' '));
          const got = { token: t.accessToken, exp: now() + (t.expiresIn ?? 3600), scopes: t.scopes ?? want.split(' ') };
          narrowed.set(key, got);
          return { token: got.token, identity: g.identity, scopes: got.scopes };
        } catch (err) {
          throw await ended(provider, g, err);
        }
      });
    }
    if (provider === 'calendar' && force) {
      const renewed = await current(provider, account, true);
      return { token: renewed.accessToken, identity: renewed.identity, scopes: renewed.scopes };
    }
    return { token: g.accessToken, identity: g.identity, scopes: g.scopes };
  }

  return {
    credential: (provider, account, scopes) => credential(provider, account, scopes, false),
    renew: (provider, account, scopes) => credential(provider, account, scopes, true),
    async view(provider, account) {
      const g = await opts.grants.get(provider, account);
      return g ? viewOf(g) : null;
    },
    stats: () => ({ refreshes }),
  };
}
