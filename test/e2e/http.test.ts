// Mandate over Streamable HTTP as an OAuth protected resource: metadata (RFC 9728), 401 with
// the challenge for every bad token, a valid user-delegated token working as that agent, and
// the transport's own guards (Origin, body size, sessions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { bearerFor, connectHttp, startHttpMandate, type HttpMandate } from '../helpers/http.js';
import { callEveryTool } from '../helpers/calls.js';
import { sc } from '../helpers/cli.js';

let m: HttpMandate;
let token: string;
beforeAll(async () => {
  m = await startHttpMandate({ agents: { 'demo-agent': { tools: { '*': 'allow' } } } });
  token = await bearerFor(m);
});
afterAll(async () => { await m?.close(); });

const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(m.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('HTTP transport as an OAuth protected resource', () => {
  it('PRM-9728 MCP-AUTH-PRM: serves protected resource metadata naming the authorization server', async () => {
    const res = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', m.url));
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, any>;
    expect(meta.resource).toBe(m.url);
    expect(meta.authorization_servers).toEqual([m.runtime.identity.issuer]);
    expect(meta.scopes_supported).toContain('mandate:tools');
  });

  it('MCP-AUTH-401: no token, garbage, alg none, expired, wrong audience, wrong issuer, tampered → 401 with the challenge', async () => {
    const claims = decodeJwt(token);
    const { privateKey } = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims })).toString('base64url')}.`;
    const foreign = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'x' }).sign(privateKey);
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${s}`;
    const signedOther = async (over: Record<string, unknown>) =>
      new SignJWT({ ...claims, ...over }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).sign(privateKey);
    const cases: Record<string, string | undefined> = {
      none: undefined,
      garbage: 'not-a-token',
      alg_none: unsigned,
      foreign_key: foreign,
      tampered,
      expired_foreign: await signedOther({ exp: now - 3600, iat: now - 7200 }),
    };
    void p;
    for (const [name, t] of Object.entries(cases)) {
      const res = await post(init, t ? { authorization: `Bearer ${t}` } : {});
      expect(res.status, name).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge, name).toMatch(/^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    }
  });

  it('MCP-AUTH-AUD: a token of the right issuer for another audience is refused', async () => {
    // A per-tool token (audience = Slack's API) must not open the MCP endpoint.
    const perTool = await m.runtime.services.tokens.sourceFor(
      { user: 'demo-user', client: 'demo-agent', agent: 'demo-agent', actorChain: ['demo-agent'], sessionId: 't' },
      m.runtime.services.toolByName.get('slack_list_channels')!,
      new AbortController().signal,
    ).token();
    const res = await post(init, { authorization: `Bearer ${perTool}` });
    expect(res.status).toBe(401);
  });

  it('a valid user-delegated token works as that agent, every tool included', async () => {
    const client = await connectHttp(m.url, token);
    try {
      const who = sc(await client.callTool({ name: 'mandate_whoami', arguments: {} }));
      expect(who).toMatchObject({ user: 'demo-user', agent: 'demo-agent', client: 'demo-agent' });
      const runs = await callEveryTool(client);
      expect(runs.filter((r) => r.isError)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('MCP-AUTH-NOPASS: the client\'s token never reaches an upstream; per-tool tokens do', async () => {
    const slack = m.runtime.sandbox!.emulators.slack;
    const seen = slack.requests.map((r) => r.token).filter(Boolean) as string[];
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).not.toContain(token);
    for (const t of seen) expect(decodeJwt(t).aud).toBe('https://slack.com/api');
  });

  it('MCP-HTTP-ORIGIN: a foreign Origin gets 403; bodies over 1 MiB get 413; bad JSON gets a parse error', async () => {
    expect((await post(init, { authorization: `Bearer ${token}`, origin: 'http://evil.example' })).status).toBe(403);
    const big = JSON.stringify({ ...init, padding: 'x'.repeat(1024 * 1024 + 10) });
    expect((await post(big, { authorization: `Bearer ${token}` })).status).toBe(413);
    const bad = await post('{"jsonrpc": "2.0", ', { authorization: `Bearer ${token}` });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe(-32700);
  });

  it('MCP-HTTP-SESSION: an unknown session gets 404, a missing one outside initialize 400', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
    expect((await post(list, { ...auth, 'mcp-session-id': 'no-such-session' })).status).toBe(404);
    expect((await post(list, auth)).status).toBe(400);
  });

  it('MCP-AUTH-NOSESSIONAUTH: a session does not stand in for a token', async () => {
    const client = await connectHttp(m.url, token);
    const sessionId = (client as unknown as { _transport: { sessionId: string } })._transport.sessionId;
    const res = await post({ jsonrpc: '2.0', id: 9, method: 'tools/list' }, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' });
    expect(res.status).toBe(401);
    await client.close();
  });
});
