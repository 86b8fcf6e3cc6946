// What a client discovers about the embedded server, and the endpoints it finds there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENT, MCP, TOKEN_EXCHANGE_GRANT, startTestAuthz, type TestAuthz } from './helpers.js';

let t: TestAuthz;
beforeAll(async () => {
  t = await startTestAuthz();
});
afterAll(async () => {
  await t.close();
});

describe('discovery', () => {
  it.each(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'])(
    'MCP-AUTH-PKCE: %s advertises S256, the exchange grant and every endpoint',
    async (path) => {
      const res = await fetch(t.authz.issuer + path);
      expect(res.status).toBe(200);
      const m = (await res.json()) as Record<string, unknown>;
      expect(m.issuer).toBe(t.authz.issuer);
      expect(m.code_challenge_methods_supported).toEqual(['S256']);
      expect(m.grant_types_supported).toEqual(
        expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE_GRANT]),
      );
      expect(m.jwks_uri).toBe(t.authz.jwksUri);
      for (const k of ['token_endpoint', 'authorization_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'registration_endpoint']) {
        expect(typeof m[k]).toBe('string');
      }
    },
  );

  it('binds to 127.0.0.1', () => {
    expect(new URL(t.authz.issuer).hostname).toBe('127.0.0.1');
  });

  it('the JWKS publishes public keys only', async () => {
    const jwks = (await (await fetch(t.authz.jwksUri)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const k of jwks.keys) {
      expect(k.d).toBeUndefined();
      expect(k.alg).toBe('ES256');
    }
    expect(jwks.keys.map((k) => k.kid)).toEqual(t.authz.publicJwks().keys.map((k) => k.kid));
  });

  it('MCP-AUTH-PKCE: an authorization request without a code challenge is refused', async () => {
    await t.authz.registerClient({ client_id: 'no-pkce-app', client_secret: 'no-pkce-secret-0123456789', redirect_uris: ['http://127.0.0.1:1/cb'] });
    const q = new URLSearchParams({ client_id: 'no-pkce-app', response_type: 'code', redirect_uri: 'http://127.0.0.1:1/cb', scope: 'openid', resource: MCP });
    const res = await fetch(`${t.authz.issuer}/auth?${q}`, { redirect: 'manual' });
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('http://127.0.0.1:1/cb');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('dynamic client registration works for a public loopback client (the MCP Inspector)', async () => {
    const res = await fetch(`${t.authz.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'MCP Inspector',
        redirect_uris: ['http://localhost:6274/oauth/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(typeof body.client_id).toBe('string');
    expect(body.client_secret).toBeUndefined();
  });

  it('lets a loopback browser app (the Inspector) read token responses, and no other origin', async () => {
    const post = (origin: string) =>
      fetch(`${t.authz.issuer}/token`, {
        method: 'POST',
        headers: {
          origin,
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${DEMO_AGENT.id}:${DEMO_AGENT.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: MCP }),
      });
    expect((await post('http://localhost:6274')).headers.get('access-control-allow-origin')).toBe('http://localhost:6274');
    expect((await post('https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
  });
});
