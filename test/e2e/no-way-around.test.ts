// Issue #10, as an attacker on the same machine tries it against a running Mandate (HTTP, the
// sandbox): an agent `assistant` allowed slack_post_message only to #support-updates at 3 an
// hour, and a read-only agent `reader`. Every request below is what the attacker sends over
// HTTP; each is refused with its RFC error code (or 401/403) and leaves a record in the
// audit chain. The legitimate paths keep working beside them.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { RESOURCES } from '../../src/resources.js';
import { SECRET_ACCOUNTS } from '../../src/runtime/identity.js';
import { REFUSAL_EVENTS, type AuditRecord } from '../../src/audit/record.js';
import { Browser } from '../helpers/browser.js';
import { rawRequest } from '../helpers/raw.js';
import { mandateAsync, sc } from '../helpers/cli.js';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

const CONFIG = {
  agents: {
    assistant: { tools: { slack_post_message: { capability: 'allow', channels: ['#support-updates'], rate: '3/hour' } } },
    reader: { readOnly: true },
  },
};

let m: HttpMandate;
let issuer: string;
beforeAll(async () => {
  m = await startHttpMandate(CONFIG);
  issuer = m.runtime.identity.issuer!;
});
afterAll(async () => { await m?.close(); });

const env = () => ({ ...process.env, MANDATE_HOME: m.home, MANDATE_SECRETS: 'file' });

async function secretOf(account: string): Promise<string> {
  const s = m.runtime.identity.secrets;
  const v = await s.getPassword(s.service, account);
  if (!v) throw new Error(`no ${account}`);
  return v;
}

/** A token endpoint request as any HTTP client sends it. */
async function token(params: Record<string, string>, client?: { id: string; secret?: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(params);
  if (client?.secret) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
  else if (client) body.set('client_id', client.id);
  const res = await fetch(`${issuer}/token`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The refused attempts recorded since `afterSeq`. */
async function refusals(afterSeq: number): Promise<AuditRecord[]> {
  return m.runtime.services.store.readAudit({ afterSeq, event: REFUSAL_EVENTS });
}

const head = async () => (await m.runtime.services.store.auditHead())?.seq ?? 0;

/** A GET with the Host a rebinding page would send. */
const rawGet = (url: string, host: string) => rawRequest(url, { headers: { host } });

describe('1. an agent holding its own credentials cannot mint itself an upstream token', () => {
  it('its MCP bearer exchanged for a Slack write token is unauthorized_client, also after a revocation, and each attempt is on the record', async () => {
    const assistant = { id: 'assistant', secret: await secretOf(SECRET_ACCOUNTS.client('assistant')) };
    const bearer = await bearerFor(m, 'assistant');
    const before = await head();
    const attempt = () => token({
      grant_type: TOKEN_EXCHANGE, subject_token: bearer, subject_token_type: ACCESS_TOKEN,
      resource: RESOURCES.slack, scope: 'chat:write',
    }, assistant);
    const r = await attempt();
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('unauthorized_client');
    expect(r.body.access_token).toBeUndefined();

    const revoked = await mandateAsync(['revoke', '--agent', 'assistant', '--tool', 'slack_post_message'], env());
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await attempt()).body.error).toBe('unauthorized_client');

    const recs = await refusals(before);
    expect(recs).toHaveLength(2);
    for (const rec of recs) {
      expect(rec).toMatchObject({
        event: 'exchange_refused', client: 'assistant', user: 'demo-user', agent: 'assistant',
        error_code: 'unauthorized_client', outcome: 'refused', args: { grant_type: TOKEN_EXCHANGE, resource: RESOURCES.slack, scope: 'chat:write' },
      });
    }
    expect(JSON.stringify(recs)).not.toContain(bearer);
    await m.runtime.services.store.unrevoke({ agent: 'assistant', tool: 'slack_post_message' }); // for the tests after this one
  });

  it("Mandate's own exchange refuses a revoked capability at the authorization server too", async () => {
    const mandate = { id: 'mandate', secret: await secretOf(SECRET_ACCOUNTS.client('mandate')) };
    const bearer = await bearerFor(m, 'reader');
    const before = await head();
    // reader is read-only: even Mandate's exchanger gets no write token for it.
    const write = await token({ grant_type: TOKEN_EXCHANGE, subject_token: bearer, subject_token_type: ACCESS_TOKEN, resource: RESOURCES.slack, scope: 'chat:write' }, mandate);
    expect(write.body.error).toBe('invalid_scope');
    const read = await token({ grant_type: TOKEN_EXCHANGE, subject_token: bearer, subject_token_type: ACCESS_TOKEN, resource: RESOURCES.slack, scope: 'channels:read' }, mandate);
    expect(read.status).toBe(200);
    const claims = decodeJwt(String(read.body.access_token));
    expect(claims).toMatchObject({ client_id: 'mandate', azp: 'reader', sub: 'demo-user', act: { sub: 'reader' }, aud: RESOURCES.slack });
    expect((await refusals(before)).map((r) => [r.event, r.error_code, r.agent])).toEqual([['exchange_refused', 'invalid_scope', 'reader']]);
  });

  it('the legitimate path still works: the tool call, within its constraint, through Mandate', async () => {
    const client = await connectHttp(m.url, await bearerFor(m, 'assistant'));
    try {
      const ok = await client.callTool({ name: 'slack_post_message', arguments: { channel: '#support-updates', text: 'status: all green' } });
      expect(ok.isError, JSON.stringify(sc(ok))).toBeFalsy();
      const general = await client.callTool({ name: 'slack_post_message', arguments: { channel: '#general', text: 'hi' } });
      expect(sc(general).error.code).toBe('constraint_violation');
    } finally {
      await client.close();
    }
  });
});

describe('2. an anonymously registered client gets sign-in and refresh for the MCP resource, nothing more', () => {
  const register = async (metadata: Record<string, unknown>) => {
    const res = await fetch(`${issuer}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], ...metadata }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('registering for client credentials or token exchange is invalid_client_metadata, and on the record', async () => {
    const before = await head();
    for (const grant_types of [['client_credentials'], ['authorization_code', TOKEN_EXCHANGE], ['authorization_code', 'refresh_token', 'client_credentials']]) {
      const r = await register({ client_name: 'sneaky', grant_types, response_types: grant_types.includes('authorization_code') ? ['code'] : [] });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_client_metadata');
    }
    const recs = await refusals(before);
    expect(recs.map((r) => [r.event, r.error_code, r.client])).toEqual(Array(3).fill(['registration_refused', 'invalid_client_metadata', 'sneaky']));
  });

  it('a client registered for sign-in cannot use client credentials, nor exchange any agent\'s bearer', async () => {
    const reg = await register({ client_name: 'quiet', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] });
    expect(reg.status).toBe(201);
    const me = { id: String(reg.body.client_id), secret: String(reg.body.client_secret) };
    const before = await head();
    const cc = await token({ grant_type: 'client_credentials', resource: m.url, scope: 'mandate:tools' }, me);
    // oidc-provider answers a grant type the client did not register with invalid_request.
    expect(cc.body).toMatchObject({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
    const bearer = await bearerFor(m, 'assistant');
    const x = await token({ grant_type: TOKEN_EXCHANGE, subject_token: bearer, subject_token_type: ACCESS_TOKEN, resource: RESOURCES.slack, scope: 'chat:write' }, me);
    expect(x.body).toMatchObject({ error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' });
    const recs = await refusals(before);
    expect(recs.map((r) => [r.event, r.error_code, r.client])).toEqual([
      ['token_refused', 'invalid_request', me.id],
      ['exchange_refused', 'invalid_request', me.id],
    ]);
  });
});

describe('3. a consent is bounded by policy, and one client never replaces another\'s delegation', () => {
  const REDIRECT = 'http://127.0.0.1:9/callback';
  function pkce() {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  }
  async function signIn(clientId: string, params: Record<string, string>) {
    const browser = new Browser(issuer);
    const { verifier, challenge } = pkce();
    const q = new URLSearchParams({
      client_id: clientId, response_type: 'code', redirect_uri: REDIRECT, prompt: 'consent', resource: m.url,
      scope: 'openid offline_access mandate:tools channels:read chat:write', state: 's', code_challenge: challenge, code_challenge_method: 'S256', ...params,
    });
    const login = await browser.follow(`/auth?${q}`);
    return { browser, login, verifier };
  }

  it('a local process naming reader in requested_actor is refused before sign-in; reader keeps working', async () => {
    const reg = await fetch(`${issuer}/reg`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'local-process', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'] }) });
    const { client_id } = (await reg.json()) as { client_id: string };
    const before = await head();
    const { login } = await signIn(client_id, { requested_actor: 'reader' });
    const back = new URL(login.location ?? login.url);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('error')).toBe('unauthorized_client');
    expect((await refusals(before)).map((r) => [r.event, r.error_code, r.client, r.agent])).toEqual([['authorization_refused', 'unauthorized_client', client_id, 'reader']]);

    const client = await connectHttp(m.url, await bearerFor(m, 'reader'));
    try {
      const r = await client.callTool({ name: 'slack_list_channels', arguments: { limit: 2 } });
      expect(r.isError, JSON.stringify(sc(r))).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it("Mandate's own consent for reader lists and grants no write scope, beside reader's own delegation", async () => {
    const { browser, login, verifier } = await signIn('mandate', { requested_actor: 'reader' });
    const consent = await browser.follow(/action="([^"]+)"/.exec(login.text)![1]!, { method: 'POST', form: { signin: '1' } });
    expect(consent.text).toContain('Agent reader will act on your behalf with:');
    expect(consent.text).toContain('see the list of channels');
    expect(consent.text).not.toContain('post messages as you');
    const done = await browser.follow(/action="([^"]+)"/.exec(consent.text)![1]!, { method: 'POST', form: { decision: 'allow' } });
    const code = new URL(done.location!).searchParams.get('code')!;
    const mandate = { id: 'mandate', secret: await secretOf(SECRET_ACCOUNTS.client('mandate')) };
    const t = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, resource: m.url }, mandate);
    expect(t.status, JSON.stringify(t.body)).toBe(200);
    const viaMandate = String(t.body.access_token);
    expect(decodeJwt(viaMandate)).toMatchObject({ sub: 'demo-user', client_id: 'mandate', act: { sub: 'reader' } });
    // The new delegation (through Mandate) holds no write scope...
    const write = await token({ grant_type: TOKEN_EXCHANGE, subject_token: viaMandate, subject_token_type: ACCESS_TOKEN, resource: RESOURCES.slack, scope: 'chat:write' }, mandate);
    expect(write.body.error).toBe('invalid_scope');
    // ...and reader's own delegation (through its own client) is still there.
    const client = await connectHttp(m.url, await bearerFor(m, 'reader'));
    try {
      expect((await client.callTool({ name: 'slack_list_channels', arguments: { limit: 1 } })).isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it('the authorization server and the MCP endpoint answer only to their loopback names (DNS rebinding)', async () => {
    const mcpPort = new URL(m.url).port;
    const asPort = new URL(issuer).port;
    expect((await rawGet(`${issuer}/.well-known/openid-configuration`, `rebind.example:${asPort}`)).status).toBe(403);
    expect((await rawGet(`${issuer}/.well-known/openid-configuration`, `localhost:${asPort}`)).status).toBe(200);
    expect((await rawGet(`${m.url.replace('/mcp', '')}/.well-known/oauth-protected-resource/mcp`, `rebind.example:${mcpPort}`)).status).toBe(403);
    expect((await rawGet(`${m.url.replace('/mcp', '')}/.well-known/oauth-protected-resource/mcp`, `127.0.0.1:${mcpPort}`)).status).toBe(200);
  });
});

describe('4. every MCP session is a user\'s', () => {
  const initialize = (bearer: string) => fetch(m.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
  });

  it('a client-credentials token (subject = the client) gets 401 with a challenge that says why, and is on the record', async () => {
    const assistant = { id: 'assistant', secret: await secretOf(SECRET_ACCOUNTS.client('assistant')) };
    const cc = await token({ grant_type: 'client_credentials', resource: m.url, scope: 'mandate:tools' }, assistant);
    expect(cc.status).toBe(200);
    const before = await head();
    const res = await initialize(String(cc.body.access_token));
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain('names no user');
    expect((await refusals(before)).map((r) => [r.event, r.error_code, r.client, r.user])).toEqual([['bearer_refused', 'invalid_token', 'assistant', 'assistant']]);
  });

  it("a token whose actor is not the presenting client gets 401", async () => {
    // Mandate's own MCP-resource token for agent reader (act = reader, client = mandate).
    const mandate = { id: 'mandate', secret: await secretOf(SECRET_ACCOUNTS.client('mandate')) };
    const hosted = await token({ grant_type: TOKEN_EXCHANGE, subject_token: await bearerFor(m, 'reader'), subject_token_type: ACCESS_TOKEN, resource: m.url, scope: 'mandate:tools' }, mandate);
    expect(hosted.status).toBe(200);
    const res = await initialize(String(hosted.body.access_token));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('another actor');
  });
});

describe('the record of refused attempts', () => {
  it('`audit tail --refused` lists them, and the chain with them verifies', async () => {
    const tail = await mandateAsync(['audit', 'tail', '--refused', '-n', '50'], env());
    expect(tail.code, tail.stderr).toBe(0);
    expect(tail.stdout).toMatch(/exchange_refused\s+client assistant \(user demo-user, actor assistant\)/);
    expect(tail.stdout).toContain('registration_refused');
    expect(tail.stdout).toContain('bearer_refused');
    expect(tail.stdout).not.toMatch(/\s(received|executed)\s/);
    const verify = await mandateAsync(['audit', 'verify'], env());
    expect(verify.code, verify.stderr).toBe(0);
  });
});
