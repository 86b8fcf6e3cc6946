// Test helpers: a real embedded authorization server in a temporary state dir, with the demo
// agent, a second agent and Mandate's own client registered, and plain-fetch token requests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createMemoryDelegationRegistry,
  startAuthorizationServer,
  TOKEN_EXCHANGE_GRANT,
  ACCESS_TOKEN_TYPE,
  type AuthzOptions,
  type DelegationRegistry,
  type EmbeddedAuthz,
} from '../../src/authz/index.js';
import { RESOURCES } from '../../src/resources.js';

export const MCP = 'http://127.0.0.1:8787/mcp';
export { TOKEN_EXCHANGE_GRANT, ACCESS_TOKEN_TYPE };

export interface TestClient {
  id: string;
  secret: string;
}
export const DEMO_AGENT: TestClient = { id: 'demo-agent', secret: 'demo-agent-secret-0123456789abcdef' };
export const ASSISTANT: TestClient = { id: 'assistant', secret: 'assistant-secret-0123456789abcdef' };
export const MANDATE: TestClient = { id: 'mandate', secret: 'mandate-secret-0123456789abcdef' };

export const SLACK_SCOPES = ['channels:read', 'channels:history', 'chat:write'];

export interface TestAuthz {
  authz: EmbeddedAuthz;
  registry: DelegationRegistry;
  home: string;
  close(): Promise<void>;
}

/** Starts a server in a fresh temporary home with the three test clients registered. */
export async function startTestAuthz(overrides: Partial<AuthzOptions> = {}, home?: string): Promise<TestAuthz> {
  const dir = home ?? (await mkdtemp(path.join(tmpdir(), 'mandate-authz-')));
  const registry = overrides.registry ?? createMemoryDelegationRegistry();
  const authz = await startAuthorizationServer({ home: dir, mcpResource: MCP, registry, ...overrides });
  for (const c of [DEMO_AGENT, ASSISTANT, MANDATE]) {
    await authz.registerClient({ client_id: c.id, client_secret: c.secret });
  }
  return {
    authz,
    registry,
    home: dir,
    close: async () => {
      await authz.close();
      if (!home) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A token endpoint request with client_secret_basic; returns the status and JSON body. */
export async function tokenRequest(
  authz: EmbeddedAuthz,
  client: TestClient,
  params: Record<string, string | string[]>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) form.append(k, one);
  const res = await fetch(`${authz.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
    },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Provisions a delegation and returns the subject token (an MCP access token) from its refresh token. */
export async function subjectToken(
  authz: EmbeddedAuthz,
  opts: { user?: string; agent?: TestClient; client?: TestClient; scopes?: Record<string, readonly string[]> } = {},
): Promise<{ token: string; refreshToken: string }> {
  const agent = opts.agent ?? DEMO_AGENT;
  const client = opts.client ?? agent;
  const { refreshToken } = await authz.provisionDelegation({
    user: opts.user ?? 'demo-user',
    agent: agent.id,
    client: client.id,
    scopes: opts.scopes ?? { [RESOURCES.slack]: SLACK_SCOPES },
  });
  const r = await tokenRequest(authz, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
  if (r.status !== 200) throw new Error(`refresh failed: ${JSON.stringify(r.body)}`);
  return { token: String(r.body.access_token), refreshToken };
}

/** The agent's own client-credentials token for the MCP resource. */
export async function actorToken(authz: EmbeddedAuthz, agent: TestClient): Promise<string> {
  const r = await tokenRequest(authz, agent, { grant_type: 'client_credentials', resource: MCP, scope: 'mandate:tools' });
  if (r.status !== 200) throw new Error(`client credentials failed: ${JSON.stringify(r.body)}`);
  return String(r.body.access_token);
}

/** A token-exchange request for one API and scopes. */
export function exchange(
  authz: EmbeddedAuthz,
  caller: TestClient,
  params: { subject?: string; actor?: string; resource?: string | string[]; scope?: string; [k: string]: string | string[] | undefined },
) {
  const { subject, actor, ...rest } = params;
  const body: Record<string, string | string[]> = { grant_type: TOKEN_EXCHANGE_GRANT };
  if (subject !== undefined) {
    body.subject_token = subject;
    body.subject_token_type = ACCESS_TOKEN_TYPE;
  }
  if (actor !== undefined) {
    body.actor_token = actor;
    body.actor_token_type = ACCESS_TOKEN_TYPE;
  }
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) body[k] = v;
  return tokenRequest(authz, caller, body);
}
