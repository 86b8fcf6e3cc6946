// The MCP authorization flow a client such as the MCP Inspector runs, driven by the SDK's own
// OAuth client: 401 → protected resource metadata → authorization server metadata → dynamic
// client registration → authorization code + PKCE with `resource` → sign-in and a consent
// page naming the agent → token → tools, as that client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { decodeJwt } from 'jose';
import { Browser } from '../helpers/browser.js';
import { sc } from '../helpers/cli.js';
import { startHttpMandate, type HttpMandate } from '../helpers/http.js';

let m: HttpMandate;
beforeAll(async () => { m = await startHttpMandate({}); });
afterAll(async () => { await m?.close(); });

/** What the Inspector keeps: its registration, its tokens, the PKCE verifier; and a "browser". */
class InspectorLikeProvider implements OAuthClientProvider {
  info?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  consentText = '';
  code?: string;
  get redirectUrl() { return 'http://localhost:6274/oauth/callback'; }
  get clientMetadata() {
    return {
      client_name: 'MCP Inspector',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() { return this.info; }
  saveClientInformation(i: OAuthClientInformationMixed) { this.info = i; }
  tokens() { return this.saved; }
  saveTokens(t: OAuthTokens) { this.saved = t; }
  saveCodeVerifier(v: string) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
  async redirectToAuthorization(url: URL) {
    // The user's browser: sign in as the demo user, read the consent page, allow.
    const browser = new Browser(url.origin);
    const login = await browser.follow(url.pathname + url.search);
    const consent = await browser.follow(/action="([^"]+)"/.exec(login.text)![1]!, { method: 'POST', form: { signin: '1' } });
    this.consentText = consent.text;
    const done = await browser.follow(/action="([^"]+)"/.exec(consent.text)![1]!, { method: 'POST', form: { decision: 'allow' } });
    this.code = new URL(done.location!).searchParams.get('code') ?? undefined;
  }
}

describe('MCP authorization with the SDK\'s OAuth client (what the Inspector does)', () => {
  it('MCP-AUTH-401 MCP-AUTH-PKCE MCP-AUTH-RES: discovers, registers, consents naming the agent, and calls tools', async () => {
    const provider = new InspectorLikeProvider();
    const first = new StreamableHTTPClientTransport(new URL(m.url), { authProvider: provider });
    const client = new Client({ name: 'inspector-like', version: '1.0.0' });
    await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.info?.client_id).toBeTruthy(); // dynamic client registration happened
    expect(provider.consentText).toContain('will act on your behalf with:');
    expect(provider.consentText).toContain(`Agent MCP Inspector (${String(provider.info!.client_id)}) will act on your behalf with:`);
    expect(provider.code).toBeTruthy();
    await first.finishAuth(provider.code!);
    const claims = decodeJwt(provider.saved!.access_token);
    expect(claims.aud).toBe(m.url);
    expect(claims.sub).toBe('demo-user');

    const connected = new Client({ name: 'inspector-like', version: '1.0.0' });
    await connected.connect(new StreamableHTTPClientTransport(new URL(m.url), { authProvider: provider }));
    const who = sc(await connected.callTool({ name: 'mandate_whoami', arguments: {} }));
    expect(who.user).toBe('demo-user');
    expect(who.client).toBe(provider.info!.client_id);
    const r = await connected.callTool({ name: 'slack_list_channels', arguments: { limit: 2 } });
    expect(r.isError ?? false).toBe(false);
    await connected.close();
  });
});
