// Asks a provider whose account a token opens and which scopes it holds: Slack `auth.test`
// (scopes in the `x-oauth-scopes` header), HubSpot's token-info endpoints (private app tokens
// and OAuth access tokens), Google's `tokeninfo`. Used after a paste or a connect, and by
// `mandate doctor`. The token goes only to the provider's own endpoint.
import { ProviderOAuthError, type AccountIdentity, type ProviderEndpoints, type ProviderSpec } from './providers.js';

/** What a provider says of a token. */
export interface TokenFacts {
  identity: AccountIdentity;
  scopes: string[];
  /** Seconds left, when the provider says. */
  expiresIn?: number;
  /** Slack: `bot` or `user`. */
  tokenType?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

async function call(fetchFn: typeof fetch, url: string, init: RequestInit, label: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  let res: Response;
  try {
    res = await fetchFn(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new ProviderOAuthError('transient', 'unreachable', `${label} could not be reached (${err instanceof Error ? err.message : String(err)})`);
  }
  if (res.status >= 500 || res.status === 429) throw new ProviderOAuthError('transient', `HTTP ${res.status}`, `${label} answered HTTP ${res.status}; try again shortly`);
  const text = await res.text();
  let body: unknown;
  try { body = text ? JSON.parse(text) : undefined; } catch { body = text; }
  return { status: res.status, headers: res.headers, body };
}

/** Whose account `token` opens, and with which scopes; throws ProviderOAuthError('refused') for a token the provider does not take. */
export async function identify(spec: ProviderSpec, ep: ProviderEndpoints, token: string, fetchFn: typeof fetch = fetch): Promise<TokenFacts> {
  switch (spec.id) {
    case 'slack': {
      const r = await call(fetchFn, `${ep.baseUrl.replace(/\/+$/, '')}/auth.test`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }, 'Slack');
      const b = isObj(r.body) ? r.body : {};
      if (b.ok !== true) throw new ProviderOAuthError('refused', str(b.error) ?? 'invalid_auth', `Slack did not accept the token (${str(b.error) ?? 'invalid_auth'})`);
      const scopes = (r.headers.get('x-oauth-scopes') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      return {
        identity: { id: str(b.team_id) ?? 'unknown-team', name: str(b.team), user: str(b.user_id) },
        scopes,
        tokenType: b.bot_id ? 'bot' : 'user',
      };
    }
    case 'hubspot': {
      const base = ep.baseUrl.replace(/\/+$/, '');
      const r = token.startsWith('pat-')
        ? await call(fetchFn, `${base}/oauth/v2/private-apps/get/access-token-info`, {
            method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tokenKey: token }),
          }, 'HubSpot')
        : await call(fetchFn, `${base}/oauth/v1/access-tokens/${encodeURIComponent(token)}`, { method: 'GET' }, 'HubSpot');
      const b = isObj(r.body) ? r.body : {};
      if (r.status >= 400) throw new ProviderOAuthError('refused', str(b.category) ?? str(b.status) ?? `HTTP ${r.status}`, `HubSpot did not accept the token (${str(b.message) ?? `HTTP ${r.status}`})`);
      const hub = b.hubId ?? b.hub_id;
      const scopes = Array.isArray(b.scopes) ? b.scopes.filter((s): s is string => typeof s === 'string') : [];
      return {
        identity: { id: hub === undefined ? 'unknown-portal' : String(hub), name: str(b.hub_domain), user: str(b.user) ?? (b.userId === undefined ? undefined : String(b.userId)) },
        scopes,
        expiresIn: typeof b.expires_in === 'number' ? b.expires_in : undefined,
      };
    }
    case 'google': {
      const url = `${ep.tokenUrl.replace(/\/token$/, '')}/tokeninfo?access_token=${encodeURIComponent(token)}`;
      const r = await call(fetchFn, url, { method: 'GET' }, 'Google');
      const b = isObj(r.body) ? r.body : {};
      if (r.status >= 400) throw new ProviderOAuthError('refused', str(b.error) ?? `HTTP ${r.status}`, `Google did not accept the token (${str(b.error_description) ?? str(b.error) ?? `HTTP ${r.status}`})`);
      return {
        identity: { id: str(b.email) ?? str(b.sub) ?? 'unknown-account', name: str(b.email) },
        scopes: (str(b.scope) ?? '').split(' ').filter(Boolean),
        expiresIn: b.expires_in === undefined ? undefined : Number(b.expires_in),
      };
    }
  }
}
