// Introspection (RFC 7662) and revocation (RFC 7009) of the delegation's own tokens (the
// refresh token a client holds).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENT, MANDATE, startTestAuthz, tokenRequest, type TestAuthz, type TestClient } from './helpers.js';
import { RESOURCES } from '../../src/resources.js';

let t: TestAuthz;
beforeAll(async () => {
  t = await startTestAuthz();
});
afterAll(async () => {
  await t.close();
});

async function post(endpoint: 'token/introspection' | 'token/revocation', client: TestClient, token: string) {
  const res = await fetch(`${t.authz.issuer}/${endpoint}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('introspection and revocation', () => {
  it('INTRO-7662 / REV-7009: a refresh token is active until revoked, then inactive and refused', async () => {
    const { refreshToken } = await t.authz.provisionDelegation({
      user: 'demo-user', agent: DEMO_AGENT.id, scopes: { [RESOURCES.slack]: ['chat:write'] },
    });
    const active = await post('token/introspection', DEMO_AGENT, refreshToken);
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ active: true, sub: 'demo-user', client_id: DEMO_AGENT.id });

    // A resource server (any confidential client) may introspect it too.
    expect((await post('token/introspection', MANDATE, refreshToken)).body.active).toBe(true);

    const revoked = await post('token/revocation', DEMO_AGENT, refreshToken);
    expect(revoked.status).toBe(200);
    expect(await post('token/introspection', DEMO_AGENT, refreshToken)).toMatchObject({ status: 200, body: { active: false } });
    const refresh = await tokenRequest(t.authz, DEMO_AGENT, { grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('another client cannot revoke a token it does not hold', async () => {
    const { refreshToken } = await t.authz.provisionDelegation({
      user: 'demo-user', agent: DEMO_AGENT.id, scopes: { [RESOURCES.slack]: ['chat:write'] },
    });
    expect((await post('token/revocation', MANDATE, refreshToken)).status).toBe(200);
    expect((await post('token/introspection', DEMO_AGENT, refreshToken)).body.active).toBe(true);
  });

  it('INTRO-7662: an unknown token is {active:false}', async () => {
    const r = await post('token/introspection', MANDATE, 'no-such-token-0123456789');
    expect(r).toEqual({ status: 200, body: { active: false } });
  });

  it('REV-7009: revoking an unknown token answers 200', async () => {
    expect((await post('token/revocation', MANDATE, 'no-such-token-0123456789')).status).toBe(200);
  });
});
