// What Mandate knows of each provider's own OAuth: where its endpoints are, how its
// authorization URL and token requests are written, how its token answers and errors read
// (Slack: HTTP 200 with `ok`; HubSpot: `status`/`message`; Google: RFC 6749 `error`), what a
// pasted token of it looks like, and how to learn whose account a token opens (team, portal,
// Google account). Wire formats only: no storage and no policy here.
import type { UpstreamProvider } from '../resources.js';

/** Provider names as `mandate connect` takes them. */
export const CONNECT_PROVIDERS = ['slack', 'hubspot', 'google'] as const;
export type ConnectProvider = (typeof CONNECT_PROVIDERS)[number];

/** The config's provider key for each `mandate connect` name. */
export const UPSTREAM_OF: Record<ConnectProvider, UpstreamProvider> = { slack: 'slack', hubspot: 'crm', google: 'calendar' };
/** The `mandate connect` name of each config provider key. */
export const CONNECT_NAME: Record<UpstreamProvider, ConnectProvider> = { slack: 'slack', crm: 'hubspot', calendar: 'google' };

/** Whose account a credential opens: never a secret. */
export interface AccountIdentity {
  /** Slack team id, HubSpot portal (hub) id, Google account (email, else subject id). */
  id: string;
  /** Words for people: the workspace name, the portal's domain, the address. */
  name?: string;
  /** The provider's user behind the credential, where it says. */
  user?: string;
}

/** A successful token answer, read. */
export interface TokenAnswer {
  accessToken: string;
  refreshToken?: string;
  /** Seconds the access token lives (absent: it does not expire). */
  expiresIn?: number;
  /** The scopes the provider says it granted (absent: it did not say). */
  scopes?: string[];
  identity?: AccountIdentity;
  /** Slack: `bot` or `user`. */
  tokenType?: string;
}

/** A provider refused or could not answer a token request. `ended`: the grant is gone (invalid_grant). */
export class ProviderOAuthError extends Error {
  constructor(
    readonly kind: 'ended' | 'refused' | 'transient',
    /** The provider's own code (`invalid_grant`, `BAD_REFRESH_TOKEN`, `invalid_refresh_token`, HTTP 503…). */
    readonly providerCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderOAuthError';
  }
}

/** The real endpoints; the config may point each elsewhere (the emulators in tests). */
export interface ProviderEndpoints {
  baseUrl: string;
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl?: string;
}

export interface ProviderSpec {
  id: ConnectProvider;
  upstream: UpstreamProvider;
  label: string;
  defaults: ProviderEndpoints;
  /** Where the user creates the app whose client id and secret `mandate connect` asks for. */
  appConsole: string;
  /** Google and HubSpot take PKCE (S256); Slack does not. */
  pkce: boolean;
  /** Loopback redirects allowed (Google desktop clients, HubSpot `http://localhost`); Slack needs HTTPS. */
  loopbackRedirect: 'http://127.0.0.1' | 'http://localhost' | null;
  /** The authorization URL's query for these scopes. */
  authorizeQuery(p: { clientId: string; redirectUri: string; scopes: readonly string[]; state: string; challenge?: string }): Record<string, string>;
  /** Reads a token endpoint answer (authorization code or refresh), or throws ProviderOAuthError. */
  readToken(status: number, body: unknown): TokenAnswer;
  /** Why a pasted token is not one of this provider's (undefined: it looks right). */
  pasteProblem(token: string): string | undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
const words = (v: unknown, sep: RegExp) => (typeof v === 'string' ? v.split(sep).map((s) => s.trim()).filter(Boolean) : Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined);

/** HTTP statuses worth another try. */
const transientStatus = (status: number) => status >= 500 || status === 429;

const SLACK_ENDED = new Set(['invalid_refresh_token', 'invalid_grant', 'token_revoked', 'account_inactive', 'app_uninstalled', 'token_expired']);

export const SLACK: ProviderSpec = {
  id: 'slack',
  upstream: 'slack',
  label: 'Slack',
  defaults: { baseUrl: 'https://slack.com/api', authorizeUrl: 'https://slack.com/oauth/v2/authorize', tokenUrl: 'https://slack.com/api/oauth.v2.access' },
  appConsole: 'https://api.slack.com/apps',
  pkce: false,
  loopbackRedirect: null,
  // Mandate's tools act as the user: user scopes (an xoxp user token), not bot scopes.
  authorizeQuery: ({ clientId, redirectUri, scopes, state }) => ({ client_id: clientId, user_scope: scopes.join(','), redirect_uri: redirectUri, state }),
  readToken(status, body) {
    if (transientStatus(status)) throw new ProviderOAuthError('transient', `HTTP ${status}`, `Slack answered HTTP ${status}`);
    if (!isObj(body)) throw new ProviderOAuthError('transient', 'not_json', 'Slack answered something that is not JSON');
    if (body.ok !== true) {
      const code = str(body.error) ?? 'unknown_error';
      throw new ProviderOAuthError(SLACK_ENDED.has(code) ? 'ended' : 'refused', code, `Slack refused: ${code}`);
    }
    // A code exchange for user scopes answers in `authed_user`; a refresh (and a bot install) at the top level.
    const user = isObj(body.authed_user) && str(body.authed_user.access_token) ? body.authed_user : undefined;
    const src = user ?? body;
    const team = isObj(body.team) ? body.team : {};
    const accessToken = str(src.access_token);
    if (!accessToken) throw new ProviderOAuthError('refused', 'no_access_token', 'Slack answered without an access token');
    return {
      accessToken,
      refreshToken: str(src.refresh_token),
      expiresIn: num(src.expires_in),
      scopes: words(src.scope, /,/),
      tokenType: str(src.token_type) ?? (user ? 'user' : 'bot'),
      identity: str(team.id) ? { id: str(team.id)!, name: str(team.name), user: str(user?.id) } : undefined,
    };
  },
  pasteProblem(token) {
    if (/^(xoxe\.)?xox[bp]-/.test(token)) return undefined;
    if (/^xoxe-/.test(token)) return 'this is a Slack refresh token; paste the access token (xoxb-… or xoxp-…)';
    if (/^xapp-/.test(token)) return 'this is a Slack app-level token (xapp-…); paste a bot token (xoxb-…) or a user token (xoxp-…)';
    if (/^pat-/.test(token)) return 'this looks like a HubSpot private app token; run "mandate connect hubspot --token-stdin"';
    if (/^ya29\./.test(token)) return 'this looks like a Google access token; Google is connected with "mandate connect google" (no paste)';
    return 'a Slack token starts with xoxb- (bot) or xoxp- (user)';
  },
};

const HUBSPOT_ENDED = new Set(['BAD_REFRESH_TOKEN', 'invalid_grant', 'EXPIRED_AUTHENTICATION']);

export const HUBSPOT: ProviderSpec = {
  id: 'hubspot',
  upstream: 'crm',
  label: 'HubSpot',
  defaults: { baseUrl: 'https://api.hubapi.com', authorizeUrl: 'https://app.hubspot.com/oauth/authorize', tokenUrl: 'https://api.hubapi.com/oauth/v1/token' },
  appConsole: 'https://app.hubspot.com (Development → Apps, or Settings → Integrations → Private Apps)',
  pkce: true,
  loopbackRedirect: 'http://localhost',
  authorizeQuery: ({ clientId, redirectUri, scopes, state, challenge }) => ({
    client_id: clientId, redirect_uri: redirectUri, scope: scopes.join(' '), state,
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
  }),
  readToken(status, body) {
    if (transientStatus(status)) throw new ProviderOAuthError('transient', `HTTP ${status}`, `HubSpot answered HTTP ${status}`);
    if (!isObj(body)) throw new ProviderOAuthError('transient', 'not_json', 'HubSpot answered something that is not JSON');
    if (status >= 400) {
      const code = str(body.status) ?? str(body.error) ?? `HTTP ${status}`;
      const message = str(body.message) ?? str(body.error_description) ?? code;
      throw new ProviderOAuthError(HUBSPOT_ENDED.has(code) ? 'ended' : 'refused', code, `HubSpot refused: ${code} (${message})`);
    }
    const accessToken = str(body.access_token) ?? str(body.accessToken);
    if (!accessToken) throw new ProviderOAuthError('refused', 'no_access_token', 'HubSpot answered without an access token');
    return {
      accessToken,
      refreshToken: str(body.refresh_token) ?? str(body.refreshToken),
      expiresIn: num(body.expires_in) ?? num(body.expiresIn),
      scopes: words(body.scopes ?? body.scope, / /),
      tokenType: 'bearer',
      identity: num(body.hub_id ?? body.hubId) !== undefined ? { id: String(num(body.hub_id ?? body.hubId)) } : undefined,
    };
  },
  pasteProblem(token) {
    if (/^pat-[a-z0-9]+-[0-9a-f-]{8,}$/i.test(token)) return undefined;
    if (/^(xoxe\.)?xox[a-z]-/.test(token)) return 'this is a Slack token; run "mandate connect slack --token-stdin"';
    if (/^ya29\./.test(token)) return 'this looks like a Google access token; Google is connected with "mandate connect google" (no paste)';
    return 'a HubSpot private app access token starts with pat- (Settings → Integrations → Private Apps → your app → Access token)';
  },
};

export const GOOGLE: ProviderSpec = {
  id: 'google',
  upstream: 'calendar',
  label: 'Google Calendar',
  defaults: {
    baseUrl: 'https://www.googleapis.com/calendar/v3',
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    revokeUrl: 'https://oauth2.googleapis.com/revoke',
  },
  appConsole: 'https://console.cloud.google.com/apis/credentials (Create credentials → OAuth client ID → Desktop app)',
  pkce: true,
  loopbackRedirect: 'http://127.0.0.1',
  authorizeQuery: ({ clientId, redirectUri, scopes, state, challenge }) => ({
    client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: scopes.join(' '), state,
    // A refresh token (offline) every time, even when the user consented before.
    access_type: 'offline', prompt: 'consent',
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
  }),
  readToken(status, body) {
    if (transientStatus(status)) throw new ProviderOAuthError('transient', `HTTP ${status}`, `Google answered HTTP ${status}`);
    if (!isObj(body)) throw new ProviderOAuthError('transient', 'not_json', 'Google answered something that is not JSON');
    if (status >= 400 || str(body.error)) {
      const code = str(body.error) ?? `HTTP ${status}`;
      throw new ProviderOAuthError(code === 'invalid_grant' ? 'ended' : 'refused', code, `Google refused: ${code}${str(body.error_description) ? ` (${str(body.error_description)})` : ''}`);
    }
    const accessToken = str(body.access_token);
    if (!accessToken) throw new ProviderOAuthError('refused', 'no_access_token', 'Google answered without an access token');
    return { accessToken, refreshToken: str(body.refresh_token), expiresIn: num(body.expires_in), scopes: words(body.scope, / /), tokenType: 'Bearer' };
  },
  pasteProblem: () => 'Google issues no long-lived token to paste: run "mandate connect google" (a browser consent, offline access)',
};

export const PROVIDERS: Record<ConnectProvider, ProviderSpec> = { slack: SLACK, hubspot: HUBSPOT, google: GOOGLE };
export const SPEC_OF: Record<UpstreamProvider, ProviderSpec> = { slack: SLACK, crm: HUBSPOT, calendar: GOOGLE };

/** The provider endpoints in force: the config's, else the real ones. */
export function endpointsOf(spec: ProviderSpec, cfg: Partial<ProviderEndpoints> | undefined): ProviderEndpoints {
  return {
    baseUrl: cfg?.baseUrl ?? spec.defaults.baseUrl,
    authorizeUrl: cfg?.authorizeUrl ?? spec.defaults.authorizeUrl,
    tokenUrl: cfg?.tokenUrl ?? spec.defaults.tokenUrl,
    revokeUrl: cfg?.revokeUrl ?? spec.defaults.revokeUrl,
  };
}
