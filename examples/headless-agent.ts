// A headless agent runner, as a real one would be written: it holds its own client
// credentials and the user's delegation (a refresh token from `mandate login` or the sandbox),
// finds the authorization server from Mandate's protected resource metadata (RFC 9728), gets
// its own token by client credentials, exchanges the user's token for one that names it as
// the actor (RFC 8693), and calls tools over Streamable HTTP with the SDK's Client.
//
//   MANDATE_URL=http://127.0.0.1:8787/mcp MANDATE_AGENT_ID=demo-agent \
//   MANDATE_AGENT_SECRET=… MANDATE_DELEGATION=… node dist/examples/headless-agent.js
import * as oidc from 'openid-client';
import { z } from 'zod';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

const env = z
  .object({
    MANDATE_URL: z.url(),
    MANDATE_AGENT_ID: z.string().min(1),
    MANDATE_AGENT_SECRET: z.string().min(1),
    MANDATE_DELEGATION: z.string().min(1),
  })
  .parse(process.env);

const mcpUrl = new URL(env.MANDATE_URL);
const metadata = z
  .object({ resource: z.string(), authorization_servers: z.array(z.url()).min(1) })
  .parse(await (await fetch(new URL(`/.well-known/oauth-protected-resource${mcpUrl.pathname}`, mcpUrl))).json());

const issuer = new URL(metadata.authorization_servers[0]!);
const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
const as = await oidc.discovery(issuer, env.MANDATE_AGENT_ID, env.MANDATE_AGENT_SECRET, undefined,
  loopback ? { execute: [oidc.allowInsecureRequests] } : undefined);

const own = await oidc.clientCredentialsGrant(as, { scope: 'mandate:tools', resource: metadata.resource });
const users = await oidc.refreshTokenGrant(as, env.MANDATE_DELEGATION, { resource: metadata.resource });
const bearer = await oidc.genericGrantRequest(as, TOKEN_EXCHANGE, {
  subject_token: users.access_token,
  subject_token_type: ACCESS_TOKEN,
  actor_token: own.access_token,
  actor_token_type: ACCESS_TOKEN,
  resource: metadata.resource,
  scope: 'mandate:tools',
});

const client = new Client({ name: 'headless-agent', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(mcpUrl, {
  requestInit: { headers: { authorization: `Bearer ${bearer.access_token}` } },
}));
const who = await client.callTool({ name: 'mandate_whoami', arguments: {} });
const { tools } = await client.listTools();
const channels = await client.callTool({ name: 'slack_list_channels', arguments: { limit: 3 } });
const whoami = who.structuredContent as { user: string; agent: string; client: string; actor_chain: string[] };
console.log(JSON.stringify({
  user: whoami.user,
  agent: whoami.agent,
  client: whoami.client,
  actor_chain: whoami.actor_chain,
  tools: tools.map((t) => t.name),
  channels: (channels.structuredContent as { channels: { name: string }[] }).channels.map((c) => c.name),
}));
await client.close();
