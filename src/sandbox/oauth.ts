// The emulators' own OAuth, as each provider speaks it: an authorization page with a consent
// (Allow / Cancel), the authorization code grant (PKCE where the provider takes it), refresh
// (Slack with rotation: every refresh spends the refresh token and returns a new one; HubSpot
// 30-minute tokens; Google with a subset of the granted scopes), Google's revocation, and the
// token-info endpoints. An emulator configured with one accepts the provider tokens it issued
// (what the egress gate sends in "real accounts" mode) instead of Mandate's per-tool tokens.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { BearerCheck, Router, SandboxRequest, SandboxResponse, TokenVerifier } from './http.js';

export type EmulatedProvider = 'slack' | 'hubspot' | 'google';

export interface EmulatedOAuthOptions {
  provider: EmulatedProvider;
  /** Registered apps (the user's own provider apps). */
  apps: Array<{ clientId: string; clientSecret: string }>;
  /** Whose account this emulator is: Slack team, HubSpot portal, Google account. */
  identity: { id: string; name?: string; user?: string; email?: string };
  /** Access token lifetime (default: Slack 43200, HubSpot 1800, Google 3599). */
  accessTtlSeconds?: number;
  /** Slack: token rotation enabled for the app (default true). */
  rotation?: boolean;
  now?: () => number;
}

interface Issued { scopes: string[]; exp: number | null; refresh?: string; kind: string; revoked?: boolean; team?: { id: string; name?: string } }
interface Code { clientId: string; redirectUri: string; scopes: string[]; challenge?: string; exp: number; used?: boolean }
interface Refresh { clientId: string; scopes: string[]; spent?: boolean; revoked?: boolean }

/** Every token request the emulator answered, for tests (bodies with secrets as sent: tests elide them). */
export interface TokenExchangeLog { grantType: string; request: Record<string, string>; status: number; response: unknown }

const TTL: Record<EmulatedProvider, number> = { slack: 43_200, hubspot: 1800, google: 3599 };
const rand = (n = 18) => randomBytes(n).toString('base64url');
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const sec = (now: () => number) => Math.floor(now() / 1000);

/** The scope words each provider shows on its consent page. */
const SCOPE_WORDS: Record<string, string> = {
  'channels:read': 'View basic information about public channels',
  'channels:history': 'View messages and other content in public channels',
  'chat:write': 'Send messages on your behalf',
  'reactions:write': 'Add and edit emoji reactions',
  'users:read': 'View people in the workspace',
  'crm.objects.contacts.read': 'View properties and other details about contacts',
  'crm.objects.contacts.write': 'View and modify contacts',
  'crm.objects.deals.read': 'View properties and other details about deals',
  'crm.objects.deals.write': 'View and modify deals',
  'https://www.googleapis.com/auth/calendar.events.readonly': 'View events on all your calendars',
  'https://www.googleapis.com/auth/calendar.events': 'View and edit events on all your calendars',
  'https://www.googleapis.com/auth/calendar.freebusy': 'View your availability in your calendars',
};

/** The paths of each provider's OAuth endpoints, as the real ones are laid out. */
export const OAUTH_PATHS: Record<EmulatedProvider, { authorize: string; token: string; revoke?: string }> = {
  slack: { authorize: '/oauth/v2/authorize', token: '/api/oauth.v2.access' },
  hubspot: { authorize: '/oauth/authorize', token: '/oauth/v1/token' },
  google: { authorize: '/o/oauth2/v2/auth', token: '/token', revoke: '/revoke' },
};

/** One provider's emulated OAuth server. */
export class EmulatedOAuth {
  readonly provider: EmulatedProvider;
  readonly log: TokenExchangeLog[] = [];
  private readonly codes = new Map<string, Code>();
  private readonly refreshTokens = new Map<string, Refresh>();
  private readonly access = new Map<string, Issued>();
  private readonly now: () => number;
  private readonly ttl: number;
  private readonly rotation: boolean;

  constructor(readonly opts: EmulatedOAuthOptions) {
    this.provider = opts.provider;
    this.now = opts.now ?? Date.now;
    this.ttl = opts.accessTtlSeconds ?? TTL[opts.provider];
    this.rotation = opts.rotation ?? true;
  }

  /** A long-lived token of the kind users paste (Slack xoxb-/xoxp-, HubSpot private app pat-). */
  issueStatic(kind: 'xoxb' | 'xoxp' | 'pat', scopes: readonly string[], team?: { id: string; name?: string }): string {
    const token = kind === 'pat' ? `pat-na1-${randomUUID()}` : `${kind}-${Date.now() % 1e10}-${rand(8)}-${rand(12)}`;
    this.access.set(token, { scopes: [...scopes], exp: null, kind, ...(team ? { team } : {}) });
    return token;
  }

  /** Revokes every token (the user removed the app): refreshes end with the provider's invalid_grant. */
  revokeAll(): void {
    for (const r of this.refreshTokens.values()) r.revoked = true;
    for (const a of this.access.values()) a.revoked = true;
  }

  /** How many access tokens are live (tests). */
  scopesOf(token: string): string[] | undefined {
    return this.access.get(token)?.scopes;
  }

  /** Checks a provider token for one endpoint's scopes (any one of `requiredAnyOf`). */
  readonly verifier: TokenVerifier = async (token, requiredAnyOf): Promise<BearerCheck> => {
    if (!token) return { ok: false, reason: 'missing' };
    const t = this.access.get(token);
    if (!t || t.revoked) return { ok: false, reason: 'invalid' };
    if (t.exp !== null && t.exp <= sec(this.now)) return { ok: false, reason: 'expired' };
    if (requiredAnyOf.length && !requiredAnyOf.some((s) => t.scopes.includes(s))) return { ok: false, reason: 'insufficient_scope', provided: t.scopes };
    const team = t.team ?? this.opts.identity;
    return { ok: true, claims: { sub: this.opts.identity.user ?? this.opts.identity.id, scope: t.scopes.join(' '), team_id: team.id, team_name: team.name ?? team.id, bot: t.kind === 'xoxb' }, scopes: t.scopes };
  };

  /** Mounts the authorization, token, revocation and token-info endpoints on an emulator's router. */
  mount(router: Router): void {
    const p = OAUTH_PATHS[this.provider];
    router.on('GET', p.authorize, (req) => this.authorizePage(req)).on('POST', p.authorize, (req) => this.decide(req));
    if (this.provider !== 'slack') router.on('POST', p.token, (req) => this.tokenEndpoint(req));
    if (this.provider === 'google') {
      router.on('POST', '/revoke', (req) => this.revoke(req)).on('GET', '/tokeninfo', (req) => this.tokenInfo(req.query.get('access_token') ?? ''));
    }
    if (this.provider === 'hubspot') {
      router
        .on('GET', '/oauth/v1/access-tokens/:token', (req) => this.tokenInfo(req.params.token ?? ''))
        .on('POST', '/oauth/v2/private-apps/get/access-token-info', (req) => this.tokenInfo(String((req.body as { tokenKey?: unknown } | undefined)?.tokenKey ?? '')));
    }
  }

  private app(clientId: string | null | undefined) {
    return this.opts.apps.find((a) => a.clientId === clientId);
  }

  private redirectAllowed(uri: string): boolean {
    let u: URL;
    try { u = new URL(uri); } catch { return false; }
    if (this.provider === 'slack') return u.protocol === 'https:';
    if (this.provider === 'google') return (u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost')) || u.protocol === 'https:';
    return u.protocol === 'https:' || (u.protocol === 'http:' && u.hostname === 'localhost');
  }

  private scopesOfRequest(q: URLSearchParams): string[] {
    const raw = this.provider === 'slack' ? q.get('user_scope') ?? q.get('scope') ?? '' : q.get('scope') ?? '';
    return raw.split(this.provider === 'slack' ? ',' : ' ').map((s) => s.trim()).filter(Boolean);
  }

  private page(title: string, inner: string, status = 200): SandboxResponse {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;color:#1d1c1d}h1{font-size:1.3rem}
.who{color:#555}ul{padding-left:1.2rem}button{font:inherit;padding:.5rem 1.2rem;margin-right:.6rem;border-radius:6px;border:1px solid #999;cursor:pointer}
button.allow{background:#007a5a;color:#fff;border-color:#007a5a}.err{color:#b00}</style></head><body>${inner}</body></html>`;
    return { status, body: undefined, raw: html, headers: { 'content-type': 'text/html; charset=utf-8' } };
  }

  private authorizePage(req: SandboxRequest): SandboxResponse {
    const q = req.query;
    const label = { slack: 'Slack', hubspot: 'HubSpot', google: 'Google' }[this.provider];
    const app = this.app(q.get('client_id'));
    if (!app) return this.page(`${label}: invalid client`, `<h1 class="err">Invalid client_id parameter</h1>`, 400);
    const redirect = q.get('redirect_uri') ?? '';
    if (!this.redirectAllowed(redirect)) {
      return this.page(`${label}: redirect_uri`, `<h1 class="err">redirect_uri did not match any configured URIs</h1><p>${esc(redirect || '(none)')}</p>`, 400);
    }
    const scopes = this.scopesOfRequest(q);
    const who = this.opts.identity;
    const account = this.provider === 'slack' ? `the ${who.name ?? who.id} workspace` : this.provider === 'hubspot' ? `HubSpot account ${who.id}${who.name ? ` (${who.name})` : ''}` : `${who.email ?? who.id}`;
    const hidden = [...q].map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
    return this.page(`${label}: allow access`, `
<h1>Mandate (${esc(app.clientId)}) is requesting permission to access ${esc(account)}</h1>
<p class="who">${esc(label)} · signed in as ${esc(who.email ?? who.user ?? who.id)}</p>
<p>It will be able to:</p><ul>${scopes.map((s) => `<li>${esc(SCOPE_WORDS[s] ?? s)} <code>${esc(s)}</code></li>`).join('')}</ul>
<form method="post">${hidden}<button class="allow" name="decision" value="allow">Allow</button><button name="decision" value="deny">Cancel</button></form>`);
  }

  private decide(req: SandboxRequest): SandboxResponse {
    const f = new URLSearchParams((req.body ?? {}) as Record<string, string>);
    const app = this.app(f.get('client_id'));
    const redirect = f.get('redirect_uri') ?? '';
    if (!app || !this.redirectAllowed(redirect)) return this.page('error', '<h1 class="err">Invalid request</h1>', 400);
    const to = new URL(redirect);
    const state = f.get('state');
    if (f.get('decision') !== 'allow') {
      to.searchParams.set('error', 'access_denied');
    } else {
      const code = this.provider === 'google' ? `4/0${rand(30)}` : this.provider === 'slack' ? `${Date.now()}.${rand(10)}` : randomUUID();
      this.codes.set(code, {
        clientId: app.clientId, redirectUri: redirect, scopes: this.scopesOfRequest(f),
        challenge: f.get('code_challenge') ?? undefined, exp: sec(this.now) + 600,
      });
      to.searchParams.set('code', code);
    }
    if (state !== null) to.searchParams.set('state', state);
    return { status: 302, body: undefined, headers: { location: to.href } };
  }

  /** Slack's `oauth.v2.access` (called from the Slack emulator's method router). */
  slackAccess(params: Record<string, string>): SandboxResponse {
    return this.token(params);
  }

  private tokenEndpoint(req: SandboxRequest): SandboxResponse {
    const body = (req.body ?? {}) as Record<string, unknown>;
    return this.token(Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)])));
  }

  private token(params: Record<string, string>): SandboxResponse {
    const out = this.tokenAnswer(params);
    this.log.push({ grantType: params.grant_type ?? 'authorization_code', request: { ...params }, status: out.status, response: out.body });
    return out;
  }

  /** The provider's own error for a token request. */
  private fail(code: string, description: string, status = 400): SandboxResponse {
    if (this.provider === 'slack') return { status: 200, body: { ok: false, error: code } };
    if (this.provider === 'hubspot') return { status, body: { status: code, message: description, correlationId: randomUUID(), requestId: randomUUID() } };
    return { status, body: { error: code, error_description: description } };
  }

  private tokenAnswer(params: Record<string, string>): SandboxResponse {
    const P = this.provider;
    const app = this.app(params.client_id);
    if (!app) return this.fail(P === 'slack' ? 'invalid_client_id' : P === 'hubspot' ? 'BAD_CLIENT_ID' : 'invalid_client', 'The OAuth client was not found.', 401);
    if (app.clientSecret !== params.client_secret) return this.fail(P === 'slack' ? 'bad_client_secret' : P === 'hubspot' ? 'BAD_CLIENT_SECRET' : 'invalid_client', 'Unauthorized', 401);
    const grant = params.grant_type ?? 'authorization_code';
    if (grant === 'authorization_code') {
      const c = this.codes.get(params.code ?? '');
      if (!c || c.used || c.exp <= sec(this.now) || c.clientId !== app.clientId) {
        return this.fail(P === 'slack' ? 'invalid_code' : P === 'hubspot' ? 'BAD_AUTH_CODE' : 'invalid_grant', P === 'hubspot' ? 'missing or invalid auth code' : 'Malformed auth code.');
      }
      if (params.redirect_uri !== c.redirectUri) return this.fail(P === 'slack' ? 'bad_redirect_uri' : P === 'hubspot' ? 'BAD_REDIRECT_URI' : 'redirect_uri_mismatch', 'redirect_uri does not match');
      if (c.challenge) {
        const v = params.code_verifier ?? '';
        if (createHash('sha256').update(v).digest('base64url') !== c.challenge) return this.fail(P === 'hubspot' ? 'BAD_AUTH_CODE' : 'invalid_grant', 'Invalid code verifier.');
      }
      c.used = true;
      const wantsRefresh = P !== 'slack' || this.rotation;
      const refresh = wantsRefresh ? this.newRefresh(app.clientId, c.scopes) : undefined;
      return { status: 200, body: this.tokenBody(c.scopes, refresh, true) };
    }
    if (grant === 'refresh_token') {
      const r = this.refreshTokens.get(params.refresh_token ?? '');
      if (!r || r.revoked || r.spent || r.clientId !== app.clientId) {
        return this.fail(P === 'slack' ? 'invalid_refresh_token' : P === 'hubspot' ? 'BAD_REFRESH_TOKEN' : 'invalid_grant', P === 'hubspot' ? 'missing or unknown refresh token' : 'Token has been expired or revoked.');
      }
      let scopes = r.scopes;
      if (P === 'google' && params.scope) {
        const asked = params.scope.split(' ').filter(Boolean);
        if (!asked.every((s) => r.scopes.includes(s))) return this.fail('invalid_scope', 'Some requested scopes were invalid. {invalid=[' + asked.filter((s) => !r.scopes.includes(s)).join(', ') + ']}');
        scopes = asked;
      }
      let next: string | undefined;
      if (P === 'slack') {
        // Rotation: this refresh token is spent; the answer carries its successor.
        r.spent = true;
        next = this.newRefresh(app.clientId, r.scopes);
      } else if (P === 'hubspot') next = params.refresh_token;
      return { status: 200, body: this.tokenBody(scopes, next, false, params.refresh_token) };
    }
    return this.fail(P === 'slack' ? 'invalid_grant_type' : P === 'hubspot' ? 'BAD_GRANT_TYPE' : 'unsupported_grant_type', `grant_type ${grant} is not supported`);
  }

  private newRefresh(clientId: string, scopes: string[]): string {
    const t = this.provider === 'slack' ? `xoxe-1-${rand(40)}` : this.provider === 'hubspot' ? randomUUID() : `1//0${rand(60)}`;
    this.refreshTokens.set(t, { clientId, scopes: [...scopes] });
    return t;
  }

  private newAccess(scopes: string[], refresh: string | undefined): string {
    const P = this.provider;
    const rotating = P !== 'slack' || this.rotation;
    const token = P === 'slack' ? `${rotating ? 'xoxe.' : ''}xoxp-1-${rand(48)}` : P === 'hubspot' ? `C${rand(90)}` : `ya29.a0${rand(90)}`;
    this.access.set(token, { scopes: [...scopes], exp: P === 'slack' && !rotating ? null : sec(this.now) + this.ttl, refresh, kind: 'oauth' });
    return token;
  }

  private tokenBody(scopes: string[], refresh: string | undefined, first: boolean, spentRefresh?: string): Record<string, unknown> {
    const access = this.newAccess(scopes, refresh ?? spentRefresh);
    const who = this.opts.identity;
    if (this.provider === 'slack') {
      const tokenFields = { access_token: access, token_type: 'user', scope: scopes.join(','), ...(refresh ? { refresh_token: refresh, expires_in: this.ttl } : {}) };
      const team = { id: who.id, name: who.name ?? who.id };
      // A code exchange for user scopes answers in `authed_user`; a refresh at the top level.
      return first
        ? { ok: true, app_id: 'A0MANDATE01', authed_user: { id: who.user ?? 'U0MANDATE1', ...tokenFields }, team, enterprise: null, is_enterprise_install: false }
        : { ok: true, app_id: 'A0MANDATE01', ...tokenFields, user_id: who.user ?? 'U0MANDATE1', team, enterprise: null, is_enterprise_install: false };
    }
    if (this.provider === 'hubspot') return { token_type: 'bearer', refresh_token: refresh, access_token: access, expires_in: this.ttl };
    return { access_token: access, expires_in: this.ttl, ...(first && refresh ? { refresh_token: refresh } : {}), scope: scopes.join(' '), token_type: 'Bearer' };
  }

  private revoke(req: SandboxRequest): SandboxResponse {
    const token = String((req.body as Record<string, unknown> | undefined)?.token ?? req.query.get('token') ?? '');
    const r = this.refreshTokens.get(token);
    const a = this.access.get(token);
    if (!r && !a) return { status: 400, body: { error: 'invalid_token', error_description: 'Token expired or revoked' } };
    // Revoking either one ends the grant: the refresh token and every access token it made.
    const refresh = r ? token : a?.refresh;
    if (refresh) {
      const rr = this.refreshTokens.get(refresh);
      if (rr) rr.revoked = true;
      for (const x of this.access.values()) if (x.refresh === refresh) x.revoked = true;
    }
    if (a) a.revoked = true;
    return { status: 200, body: {} };
  }

  private tokenInfo(token: string): SandboxResponse {
    const t = this.access.get(token);
    const who = this.opts.identity;
    const live = t && !t.revoked && (t.exp === null || t.exp > sec(this.now));
    if (this.provider === 'google') {
      if (!live) return { status: 400, body: { error: 'invalid_token', error_description: 'Invalid Value' } };
      return { status: 200, body: { azp: this.opts.apps[0]?.clientId, aud: this.opts.apps[0]?.clientId, sub: who.user ?? '104872263957381234567', scope: t!.scopes.join(' '), exp: String(t!.exp), expires_in: String(t!.exp! - sec(this.now)), ...(who.email ? { email: who.email, email_verified: 'true' } : {}) } };
    }
    if (!live) return { status: 401, body: { status: 'error', message: 'The access token is expired or invalid', correlationId: randomUUID(), category: 'EXPIRED_AUTHENTICATION' } };
    if (t!.kind === 'pat') return { status: 200, body: { userId: Number(who.user ?? 1), hubId: Number(who.id), appId: 1234567, scopes: t!.scopes } };
    return { status: 200, body: { token, user: who.email ?? 'user@example.com', hub_domain: who.name ?? `${who.id}.hubspot.com`, scopes: t!.scopes, hub_id: Number(who.id), app_id: 1234567, expires_in: t!.exp === null ? 0 : t!.exp - sec(this.now), user_id: Number(who.user ?? 1), token_type: 'access' } };
  }
}
