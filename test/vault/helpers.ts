// Real-account fixtures: the emulators speaking their provider's own OAuth, an app registered
// with each, a consent given the way the consent page's form posts it, and the code exchanged
// as `mandate connect` does; plus a vault over a throwaway encrypted-file secret store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSecretStore, type SecretStore } from '../../src/secrets/index.js';
import { GrantStore, SPEC_OF, createVault, endpointsOf, type Grant, type Vault } from '../../src/vault/index.js';
import { startSlackEmulator, type SlackEmulator } from '../../src/sandbox/slack/emulator.js';
import { startCrmEmulator, type CrmEmulator } from '../../src/sandbox/crm/emulator.js';
import { startCalendarEmulator, type CalendarEmulator } from '../../src/sandbox/calendar/emulator.js';
import { OAUTH_PATHS, type EmulatedOAuthOptions } from '../../src/sandbox/oauth.js';
import type { UpstreamProvider } from '../../src/resources.js';

export const APP = { clientId: 'app-client-1', clientSecret: 'app-secret-0123456789' };

export type RealEmulators = { slack: SlackEmulator; crm: CrmEmulator; calendar: CalendarEmulator };

type OAuthOpts = Omit<EmulatedOAuthOptions, 'provider' | 'identity' | 'apps'> & { identity?: Partial<EmulatedOAuthOptions['identity']> };

/** The three emulators standing for real accounts (each with its provider's OAuth). */
export async function startRealEmulators(o: Partial<Record<UpstreamProvider, OAuthOpts>> = {}): Promise<RealEmulators> {
  const [slack, crm, calendar] = await Promise.all([
    startSlackEmulator({ oauth: { apps: [APP], ...o.slack } }),
    startCrmEmulator({ oauth: { apps: [APP], ...o.crm } }),
    startCalendarEmulator({ oauth: { apps: [APP], ...o.calendar } }),
  ]);
  return { slack, crm, calendar };
}

/** The config's `providers.<p>` for an emulator standing for the real API. */
export function providerConfig(p: UpstreamProvider, url: string): { baseUrl: string; authorizeUrl: string; tokenUrl: string; revokeUrl?: string } {
  const paths = OAUTH_PATHS[SPEC_OF[p].id];
  const baseUrl = p === 'slack' ? `${url}/api` : p === 'calendar' ? `${url}/calendar/v3` : url;
  return { baseUrl, authorizeUrl: url + paths.authorize, tokenUrl: url + paths.token, ...(paths.revoke ? { revokeUrl: url + paths.revoke } : {}) };
}

/** Consents on the emulator's page (as its form posts) and exchanges the code; returns the token answer's body. */
export async function consentAndExchange(p: UpstreamProvider, url: string, scopes: string[]): Promise<Record<string, any>> {
  const spec = SPEC_OF[p];
  const ep = providerConfig(p, url);
  const redirectUri = p === 'slack' ? 'https://localhost/mandate/callback' : p === 'crm' ? 'http://localhost:8976/callback' : 'http://127.0.0.1:5555/callback';
  const q = spec.authorizeQuery({ clientId: APP.clientId, redirectUri, scopes, state: 's1' });
  const res = await fetch(ep.authorizeUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...q, decision: 'allow' }) });
  const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
  const tok = await fetch(ep.tokenUrl, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: APP.clientId, client_secret: APP.clientSecret }),
  });
  return (await tok.json()) as Record<string, any>;
}

/** A grant as `mandate connect` stores it, from a real-format token answer. */
export function grantFrom(p: UpstreamProvider, account: string, body: Record<string, any>, identity: Grant['identity'], now = Date.now()): Grant {
  const t = SPEC_OF[p].readToken(200, body);
  return {
    v: 1, provider: p, account, method: 'oauth', accessToken: t.accessToken, refreshToken: t.refreshToken,
    expiresAt: t.expiresIn !== undefined ? Math.floor(now / 1000) + t.expiresIn : undefined,
    scopes: t.scopes ?? [], identity: t.identity ?? identity, tokenType: t.tokenType, connectedAt: new Date(now).toISOString(),
  };
}

export async function tempSecrets(): Promise<{ home: string; secrets: SecretStore; grants: GrantStore }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-vault-'));
  const secrets = await openSecretStore({ home, env: { MANDATE_SECRETS: 'file' } });
  const grants = new GrantStore(secrets);
  for (const p of ['slack', 'crm', 'calendar'] as const) await grants.putApp(p, APP);
  return { home, secrets, grants };
}

/** A vault over `grants` whose endpoints are the emulators'. */
export function vaultFor(grants: GrantStore, emus: Partial<Record<UpstreamProvider, { url: string }>>, more: { now?: () => number } = {}): Vault {
  return createVault({
    grants,
    endpoints: (p) => endpointsOf(SPEC_OF[p], emus[p] ? providerConfig(p, emus[p]!.url) : undefined),
    retry: { tries: 3, baseDelayMs: 5 },
    ...more,
  });
}

/** A token exchange as the tests show it: secrets elided. */
export function elide(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v) => (typeof v === 'string' && /^(access_token|refresh_token|client_secret|code|token)$/.test(k) ? `${v.slice(0, Math.min(9, v.length))}…(elided)` : v)));
}
