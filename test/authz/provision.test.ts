// Provisioning a delegation without a browser (the sandbox's demo delegations): what it
// records, what it refuses, and that its refresh token works only for its own client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { RESOURCES } from '../../src/resources.js';
import { ASSISTANT, DEMO_AGENT, MCP, startTestAuthz, tokenRequest, type TestAuthz } from './helpers.js';

let t: TestAuthz;
beforeAll(async () => {
  t = await startTestAuthz();
});
afterAll(async () => {
  await t.close();
});

describe('provisionDelegation', () => {
  it('records the delegation and returns a refresh token usable with the standard refresh_token grant', async () => {
    const { refreshToken } = await t.authz.provisionDelegation({
      user: 'pat', agent: DEMO_AGENT.id, scopes: { [RESOURCES.calendar]: ['https://www.googleapis.com/auth/calendar.events.readonly'] },
      profile: { name: 'Pat Doe' },
    });
    expect(await t.registry.get('pat', DEMO_AGENT.id)).toMatchObject({
      user: 'pat', agent: DEMO_AGENT.id, client: DEMO_AGENT.id, status: 'active',
      scopes: { [RESOURCES.calendar]: ['https://www.googleapis.com/auth/calendar.events.readonly'] },
    });
    const r = await tokenRequest(t.authz, DEMO_AGENT, { grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(r.status).toBe(200);
    expect(r.body.expires_in).toBeLessThanOrEqual(900);
    expect(decodeJwt(String(r.body.access_token))).toMatchObject({ sub: 'pat', aud: MCP, client_id: DEMO_AGENT.id });
  });

  it('the refresh token is refused to any other client', async () => {
    const { refreshToken } = await t.authz.provisionDelegation({ user: 'pat', agent: DEMO_AGENT.id, scopes: {} });
    const r = await tokenRequest(t.authz, ASSISTANT, { grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(r.body.error).toBe('invalid_grant');
  });

  it('refuses unknown APIs, unknown scopes and unregistered clients', async () => {
    await expect(t.authz.provisionDelegation({ user: 'pat', agent: DEMO_AGENT.id, scopes: { 'https://evil.example.com': ['x'] } })).rejects.toThrow(/not an API known/);
    await expect(t.authz.provisionDelegation({ user: 'pat', agent: DEMO_AGENT.id, scopes: { [RESOURCES.slack]: ['admin'] } })).rejects.toThrow(/unknown scope admin/);
    await expect(t.authz.provisionDelegation({ user: 'pat', agent: 'ghost', scopes: {} })).rejects.toThrow(/ghost is not registered/);
  });

  it('registerClient replaces a client (a rotated secret takes effect) and rejects bad metadata', async () => {
    await t.authz.registerClient({ client_id: 'rotating', client_secret: 'first-secret-0123456789' });
    const ok = await tokenRequest(t.authz, { id: 'rotating', secret: 'first-secret-0123456789' }, { grant_type: 'client_credentials', resource: MCP });
    expect(ok.status).toBe(200);
    await t.authz.registerClient({ client_id: 'rotating', client_secret: 'second-secret-0123456789' });
    const old = await tokenRequest(t.authz, { id: 'rotating', secret: 'first-secret-0123456789' }, { grant_type: 'client_credentials', resource: MCP });
    expect(old.body.error).toBe('invalid_client');
    await expect(t.authz.registerClient({ client_id: 'bad', client_secret: 's-0123456789', redirect_uris: ['not a url'] })).rejects.toThrow(/registerClient bad/);
  });
});
