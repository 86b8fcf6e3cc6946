// An in-process Mandate on Streamable HTTP over the sandbox, and bearer tokens obtained the
// way a headless agent gets them: the user's delegation (a refresh token) redeemed by the
// agent's own client credentials at the embedded authorization server.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime } from '../../src/runtime/index.js';
import { SECRET_ACCOUNTS } from '../../src/runtime/identity.js';
import { serveHttp, type HttpServerHandle } from '../../src/transports/http.js';
import type { Runtime } from '../../src/runtime/index.js';
import { tempHome } from './cli.js';

export interface HttpMandate {
  url: string;
  home: string;
  runtime: Runtime;
  handle: HttpServerHandle;
  close(): Promise<void>;
}

/** Starts Mandate over HTTP on an ephemeral port with the sandbox and `config`. */
export async function startHttpMandate(config: unknown = {}): Promise<HttpMandate> {
  const { home } = tempHome(config); // the same config on disk, for CLI commands run beside it
  process.env.MANDATE_SECRETS ??= 'file';
  const parsed = parseConfig(config);
  const handle = await serveHttp((mcpUrl) => startRuntime({ home, config: parsed, logger: silentLogger(), mcpResource: mcpUrl }), { port: 0 });
  return { url: handle.url, home, runtime: handle.runtime, handle, close: () => handle.close() };
}

/** A user-delegated MCP access token for `agent` (sub = demo user, azp = the agent). */
export async function bearerFor(m: HttpMandate, agent = 'demo-agent'): Promise<string> {
  const secrets = m.runtime.identity.secrets;
  const refreshToken = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.delegation(agent));
  const secret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client(agent));
  if (!refreshToken || !secret) throw new Error(`no delegation to ${agent}`);
  const res = await fetch(`${m.runtime.identity.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${agent}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, resource: m.url }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || !body.access_token) throw new Error(`refresh failed: HTTP ${res.status}`);
  return body.access_token;
}

/** The SDK's Client connected over Streamable HTTP with a bearer token. */
export async function connectHttp(url: string, token: string, capabilities: Record<string, unknown> = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'mandate-e2e-http', version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  return client;
}
