// The browser flow a real user runs once (`mandate login`, the MCP Inspector), driven with
// plain fetch: sign in → consent page naming the agent → code → token for the MCP resource.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { RESOURCES } from '../../src/resources.js';
import { Browser } from '../helpers/browser.js';
import { ASSISTANT, MANDATE, MCP, exchange, startTestAuthz, tokenRequest, type TestAuthz, type TestClient } from './helpers.js';

// Mandate's own client runs the user's consent naming another agent (`mandate login`); any
// other client may only consent for itself.
const APP: TestClient = MANDATE;
const OTHER_APP: TestClient = { id: 'desk-app', secret: 'desk-app-secret-0123456789abcdef' };
const REDIRECT = 'http://127.0.0.1:9/callback';

let t: TestAuthz;
beforeAll(async () => {
  t = await startTestAuthz();
  await t.authz.registerClient({ client_id: APP.id, client_secret: APP.secret, client_name: 'Mandate', redirect_uris: [REDIRECT] });
  await t.authz.registerClient({ client_id: OTHER_APP.id, client_secret: OTHER_APP.secret, client_name: 'Desk App', redirect_uris: [REDIRECT] });
});
afterAll(async () => {
  await t.close();
});

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function authorize(params: Record<string, string>, client: TestClient = APP) {
  const browser = new Browser(t.authz.issuer);
  const { verifier, challenge } = pkce();
  const q = new URLSearchParams({
    client_id: client.id,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid offline_access mandate:tools chat:write channels:read',
    prompt: 'consent',
    resource: MCP,
    state: 'st-123',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...params,
  });
  const login = await browser.follow(`/auth?${q}`);
  return { browser, verifier, login };
}

describe('authorization code + PKCE with consent naming the agent', () => {
  it('MCP-AUTH-RES: sign in, consent to agent assistant, get a code, then an MCP token that names user, client and agent', async () => {
    const { browser, login } = await authorize({ requested_actor: ASSISTANT.id });
    expect(login.status).toBe(200);
    expect(login.text).toContain('Sign in as Dana Demo');
    expect(login.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"'\s]*\.(css|js|woff)/); // no external assets

    const action = /action="([^"]+)"/.exec(login.text)![1]!;
    const consent = await browser.follow(action, { method: 'POST', form: { signin: '1' } });
    expect(consent.status).toBe(200);
    expect(consent.text).toContain('Agent assistant will act on your behalf with:');
    expect(consent.text).toContain('Slack');
    expect(consent.text).toContain('post messages as you');
    expect(consent.text).toContain('see the list of channels');
    expect(consent.text).toContain('Requested by the application Mandate');
    expect(consent.text).toContain('Dana Demo');

    const confirm = /action="([^"]+)"/.exec(consent.text)![1]!;
    const done = await browser.follow(confirm, { method: 'POST', form: { decision: 'allow' } });
    expect(done.status).toBe(303);
    const callback = new URL(done.location!);
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    expect(callback.searchParams.get('state')).toBe('st-123');
    expect(callback.searchParams.get('iss')).toBe(t.authz.issuer);
    const code = callback.searchParams.get('code')!;
    expect(code).toBeTruthy();

    // The delegation is recorded with exactly the upstream scopes consented to.
    const d = await t.registry.get('demo-user', ASSISTANT.id);
    expect(d).toMatchObject({ user: 'demo-user', agent: ASSISTANT.id, client: APP.id, status: 'active' });
    expect(d!.scopes).toEqual({ [RESOURCES.slack]: ['channels:read', 'chat:write'] });

    // A wrong verifier is refused; the right one gets a JWT for the MCP resource and a refresh token.
    const bad = await tokenRequest(t.authz, APP, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce().verifier, resource: MCP });
    expect(bad.body.error).toBe('invalid_grant');
  });

  it('exchanging the code with its verifier gives the subject token; the exchange then works for that agent', async () => {
    const { browser, verifier, login } = await authorize({ requested_actor: ASSISTANT.id, state: 'st-2' });
    const consentOrDone = await browser.follow(/action="([^"]+)"/.exec(login.text)![1]!, { method: 'POST', form: { signin: '1' } });
    const done = await browser.follow(/action="([^"]+)"/.exec(consentOrDone.text)![1]!, { method: 'POST', form: { decision: 'allow' } });
    const code = new URL(done.location!).searchParams.get('code')!;

    const r = await tokenRequest(t.authz, APP, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, resource: MCP });
    expect(r.status).toBe(200);
    expect(typeof r.body.refresh_token).toBe('string');
    const subject = String(r.body.access_token);
    const c = decodeJwt(subject);
    expect(c).toMatchObject({ sub: 'demo-user', aud: MCP, azp: APP.id, client_id: APP.id, act: { sub: ASSISTANT.id }, scope: 'mandate:tools' });

    const x = await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'chat:write' });
    expect(x.status).toBe(200);
    expect(decodeJwt(String(x.body.access_token))).toMatchObject({ sub: 'demo-user', azp: APP.id, act: { sub: ASSISTANT.id } });
    // The consent named Slack channels:read and chat:write only.
    expect((await exchange(t.authz, MANDATE, { subject, resource: RESOURCES.slack, scope: 'reactions:write' })).body.error).toBe('invalid_scope');
  });

  it('Deny ends the flow with access_denied and records nothing', async () => {
    const { browser, login } = await authorize({ requested_actor: 'demo-agent', state: 'st-3' });
    const consent = await browser.follow(/action="([^"]+)"/.exec(login.text)![1]!, { method: 'POST', form: { signin: '1' } });
    expect(consent.text).toContain('Agent demo-agent will act on your behalf with:');
    const done = await browser.follow(/action="([^"]+)"/.exec(consent.text)![1]!, { method: 'POST', form: { decision: 'deny' } });
    const callback = new URL(done.location!);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(await t.registry.get('demo-user', 'demo-agent')).toBeNull();
  });

  it('another client naming an agent other than itself is refused before sign-in, and nothing is recorded', async () => {
    const { login } = await authorize({ requested_actor: ASSISTANT.id, state: 'st-5' }, OTHER_APP);
    const callback = new URL(login.location ?? login.url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    expect(callback.searchParams.get('error')).toBe('unauthorized_client');
    expect(await t.registry.get('demo-user', ASSISTANT.id, OTHER_APP.id)).toBeNull();
  });

  it('a requested_actor that is not a registered agent is refused', async () => {
    const { browser, login } = await authorize({ requested_actor: 'nobody', state: 'st-4' });
    const done = await browser.follow(/action="([^"]+)"/.exec(login.text)![1]!, { method: 'POST', form: { signin: '1' } });
    expect(new URL(done.location!).searchParams.get('error')).toBe('invalid_request');
  });
});
