// Mandate as it runs for real accounts: no sandbox, `authorizationServer` and `providers` in the
// config. The authorization server here is a real oidc-provider of its own (standing for the
// user's), and the emulators check its tokens as the real APIs would. Over HTTP every request
// needs a bearer token from that server, for this MCP resource.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime } from '../../src/runtime/index.js';
import { SECRET_ACCOUNTS } from '../../src/runtime/identity.js';
import { serveHttp, type HttpServerHandle } from '../../src/transports/http.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { sandboxTokenVerifier } from '../../src/authz/index.js';
import { RESOURCES, type UpstreamProvider } from '../../src/resources.js';
import { MANDATE, SLACK_SCOPES, startTestAuthz, subjectToken, type TestAuthz } from '../authz/helpers.js';
import { tempHome } from '../helpers/cli.js';
import { connectHttp } from '../helpers/http.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const initialize = JSON.stringify({
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'probe', version: '1' } },
});
const post = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: initialize });

describe('HTTP with a configured authorization server (real accounts)', () => {
  let as: TestAuthz;
  let sandbox: Sandbox;
  let mandate: HttpServerHandle;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/mcp`;
    as = await startTestAuthz({ mcpResource: url });
    const verifier = (p: UpstreamProvider) =>
      sandboxTokenVerifier({ issuer: as.authz.issuer, jwksUri: as.authz.jwksUri, audience: RESOURCES[p], isJtiRevoked: async () => false });
    sandbox = await startSandbox({ slack: verifier('slack'), crm: verifier('crm'), calendar: verifier('calendar') });
    const { home } = tempHome();
    const secrets = await openSecretStore({ home, env: { MANDATE_SECRETS: 'file' } });
    await secrets.setPassword(secrets.service, SECRET_ACCOUNTS.client(MANDATE.id), MANDATE.secret);
    const config = parseConfig({
      authorizationServer: { issuer: as.authz.issuer, clientId: MANDATE.id },
      providers: {
        slack: { baseUrl: sandbox.baseUrls.slack },
        crm: { baseUrl: sandbox.baseUrls.crm },
        calendar: { baseUrl: sandbox.baseUrls.calendar },
      },
    });
    const env = process.env.MANDATE_SECRETS;
    process.env.MANDATE_SECRETS = 'file';
    try {
      mandate = await serveHttp((mcpUrl) => startRuntime({ home, config, logger: silentLogger(), mcpResource: mcpUrl }), { port });
    } finally {
      if (env === undefined) delete process.env.MANDATE_SECRETS;
      else process.env.MANDATE_SECRETS = env;
    }
    expect(mandate.url).toBe(url);
  });

  afterAll(async () => {
    await mandate?.close();
    await sandbox?.close();
    await as?.close();
  });

  it('publishes the configured issuer in its protected resource metadata', async () => {
    const res = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', url));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ resource: url, authorization_servers: [as.authz.issuer] });
  });

  it('refuses a request without a bearer token, with a challenge naming the metadata', async () => {
    const res = await post(url);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
  });

  it('refuses a tampered token and one with alg none', async () => {
    const { token } = await subjectToken(as.authz, { scopes: { [RESOURCES.slack]: SLACK_SCOPES } });
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${p}.`;
    for (const bad of [tampered, none, 'not-a-jwt']) {
      const res = await post(url, { authorization: `Bearer ${bad}` });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('refuses a token issued for another resource', async () => {
    const other = await startTestAuthz({ mcpResource: 'http://127.0.0.1:1/mcp' });
    try {
      const { token } = await subjectToken(other.authz, { scopes: { [RESOURCES.slack]: SLACK_SCOPES } });
      const res = await post(url, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('serves a valid token: the call runs on a per-tool token from the configured server', async () => {
    const { token } = await subjectToken(as.authz, { scopes: { [RESOURCES.slack]: SLACK_SCOPES } });
    const client = await connectHttp(url, token);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('slack_list_channels');
      const before = sandbox.emulators.slack.requests.length;
      const r = await client.callTool({ name: 'slack_list_channels', arguments: { limit: 3 } });
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { channels: unknown[] }).channels).toHaveLength(3);
      const seen = sandbox.emulators.slack.requests.slice(before);
      expect(seen.length).toBeGreaterThan(0);
      const claims = decodeJwt(seen.at(-1)!.token!);
      expect(claims).toMatchObject({ iss: as.authz.issuer, aud: RESOURCES.slack, sub: 'demo-user', act: { sub: 'demo-agent' } });
      expect(claims.jti).not.toBe(decodeJwt(token).jti); // upstream never sees the client's own token
    } finally {
      await client.close();
    }
  });
});
