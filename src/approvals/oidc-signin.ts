// OpenID Connect sign-in for the approval console, when Mandate has a configured authorization
// server: authorization code + PKCE (openid-client 6), scope `openid`, redirect back to the
// console's `/auth/callback`. State, nonce and code verifier are kept server-side for ten
// minutes, keyed by the state and bound to the browser that started (a Lax cookie, since the
// callback arrives from the authorization server's site). The signed-in approver is the ID
// token's `sub`, checked by openid-client (issuer, audience, nonce, signature).
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { insecureAllowed } from '../tokens/oauth.js';

export interface OidcSignInOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

interface Started {
  verifier: string;
  nonce: string;
  browser: string;
  expiresAt: number;
}

const LOGIN_TTL_MS = 10 * 60_000;

/** One console's OIDC sign-in. */
export class OidcSignIn {
  private config: Promise<oidc.Configuration> | undefined;
  private readonly started = new Map<string, Started>();

  constructor(private readonly opts: OidcSignInOptions) {}

  get issuer(): string {
    return this.opts.issuer;
  }

  private discover(): Promise<oidc.Configuration> {
    this.config ??= oidc.discovery(
      new URL(this.opts.issuer), this.opts.clientId, this.opts.clientSecret, undefined,
      insecureAllowed(this.opts.issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined,
    );
    this.config.catch(() => { this.config = undefined; });
    return this.config;
  }

  /** Where to send the browser, and the value of the browser-binding cookie to set. */
  async start(redirectUri: string): Promise<{ url: string; browser: string }> {
    const config = await this.discover();
    const now = Date.now();
    for (const [k, s] of this.started) if (s.expiresAt <= now) this.started.delete(k);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const browser = randomBytes(24).toString('base64url');
    this.started.set(state, { verifier, nonce, browser, expiresAt: now + LOGIN_TTL_MS });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, browser };
  }

  /** Completes the sign-in from the callback URL; returns the signed-in subject. Throws on anything wrong. */
  async finish(callback: URL, browser: string | undefined): Promise<string> {
    const state = callback.searchParams.get('state') ?? '';
    const s = this.started.get(state);
    this.started.delete(state);
    if (!s || s.expiresAt <= Date.now() || !browser || browser !== s.browser) throw new Error('this sign-in is unknown or expired; start again');
    const config = await this.discover();
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: s.verifier, expectedState: state, expectedNonce: s.nonce, idTokenExpected: true });
    const sub = tokens.claims()?.sub;
    if (!sub) throw new Error('the ID token names no subject');
    return sub;
  }
}
