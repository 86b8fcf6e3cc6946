// Where a provider account's credentials are kept: one JSON value per account in the secret
// store (keychain, else the encrypted file), written whole in one call so a failed connect or
// refresh never leaves half a grant; and the user's provider app (client id and secret),
// one per provider. Nothing here is ever logged, audited or put in config.
import type { SecretStore } from '../secrets/index.js';
import type { UpstreamProvider } from '../resources.js';
import type { AccountIdentity } from './providers.js';

/** One connected account's credentials and what may be said of them. */
export interface Grant {
  v: 1;
  provider: UpstreamProvider;
  account: string;
  /** `oauth`: from `mandate connect` (refreshable); `pasted`: a token pasted once. */
  method: 'oauth' | 'pasted';
  accessToken: string;
  refreshToken?: string;
  /** Expiry of `accessToken`, epoch seconds (absent: it does not expire). */
  expiresAt?: number;
  /** Scopes the provider granted. */
  scopes: string[];
  identity: AccountIdentity;
  /** Slack: `bot` or `user`. */
  tokenType?: string;
  connectedAt: string;
}

/** The user's own provider app, entered once. */
export interface ProviderApp {
  clientId: string;
  clientSecret: string;
}

/** Secret store account names of the vault. */
export const VAULT_KEYS = {
  grant: (provider: UpstreamProvider, account: string) => `account:${provider}:${account}`,
  app: (provider: UpstreamProvider) => `app:${provider}`,
} as const;

/** What may be shown of a grant (doctor, whoami): never a token. */
export interface GrantView {
  provider: UpstreamProvider;
  account: string;
  method: Grant['method'];
  scopes: string[];
  identity: AccountIdentity;
  expiresAt: number | null;
  refreshable: boolean;
  tokenType: string | null;
  connectedAt: string;
}

export const viewOf = (g: Grant): GrantView => ({
  provider: g.provider, account: g.account, method: g.method, scopes: [...g.scopes], identity: { ...g.identity },
  expiresAt: g.expiresAt ?? null, refreshable: Boolean(g.refreshToken), tokenType: g.tokenType ?? null, connectedAt: g.connectedAt,
});

function parse<T>(text: string | null): T | null {
  if (!text) return null;
  try { return JSON.parse(text) as T; } catch { return null; }
}

/** Reads and writes grants and apps in one secret store. */
export class GrantStore {
  constructor(private readonly secrets: SecretStore) {}
  async get(provider: UpstreamProvider, account: string): Promise<Grant | null> {
    const g = parse<Grant>(await this.secrets.getPassword(this.secrets.service, VAULT_KEYS.grant(provider, account)));
    return g && g.v === 1 && typeof g.accessToken === 'string' ? g : null;
  }
  async put(g: Grant): Promise<void> {
    await this.secrets.setPassword(this.secrets.service, VAULT_KEYS.grant(g.provider, g.account), JSON.stringify(g));
  }
  async remove(provider: UpstreamProvider, account: string): Promise<boolean> {
    return this.secrets.deletePassword(this.secrets.service, VAULT_KEYS.grant(provider, account));
  }
  async app(provider: UpstreamProvider): Promise<ProviderApp | null> {
    const a = parse<ProviderApp>(await this.secrets.getPassword(this.secrets.service, VAULT_KEYS.app(provider)));
    return a && typeof a.clientId === 'string' && typeof a.clientSecret === 'string' ? a : null;
  }
  async putApp(provider: UpstreamProvider, app: ProviderApp): Promise<void> {
    await this.secrets.setPassword(this.secrets.service, VAULT_KEYS.app(provider), JSON.stringify(app));
  }
}
