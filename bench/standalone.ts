// `mandate serve --transport http` as it runs for real accounts: `authorizationServer` and
// `providers` in its config, nothing embedded. The authorization server (oidc-provider) and the
// emulated APIs run here, in the bench's own process, standing for the user's identity provider
// and for Slack, HubSpot and Google; so the server process holds Mandate alone and its memory
// is Mandate's own. The agent's bearer token comes from a delegation provisioned at that server.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createMemoryDelegationRegistry, sandboxTokenVerifier, startAuthorizationServer } from '../src/authz/index.js';
import { startSandbox } from '../src/sandbox/index.js';
import { PROVIDER_SCOPES, RESOURCES, type UpstreamProvider } from '../src/resources.js';
import { openSecretStore } from '../src/secrets/index.js';
import { SECRET_ACCOUNTS } from '../src/runtime/identity.js';

export interface StandaloneMandate {
  child: ChildProcess;
  url: string;
  bearer: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startStandaloneMandate(opts: {
  work: string;
  cli: string;
  /** The `agents` and `approvals` part of the config. */
  policy: Record<string, unknown>;
  spawned: (child: ChildProcess) => ChildProcess;
}): Promise<StandaloneMandate> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const authz = await startAuthorizationServer({ home: path.join(opts.work, 'idp'), mcpResource: url, registry: createMemoryDelegationRegistry() });
  const secret = () => randomBytes(24).toString('base64url');
  const mandateSecret = secret();
  const agentSecret = secret();
  await authz.registerClient({ client_id: 'mandate', client_secret: mandateSecret });
  await authz.registerClient({ client_id: 'demo-agent', client_secret: agentSecret });
  const verifier = (p: UpstreamProvider) =>
    sandboxTokenVerifier({ issuer: authz.issuer, jwksUri: authz.jwksUri, audience: RESOURCES[p], isJtiRevoked: async () => false });
  const apis = await startSandbox({ slack: verifier('slack'), crm: verifier('crm'), calendar: verifier('calendar') });
  // The emulators keep every request for tests; here that list would only grow.
  for (const p of ['slack', 'crm', 'calendar'] as const) apis.emulators[p].requests.push = () => 0;

  const home = path.join(opts.work, 'standalone-home');
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const secrets = await openSecretStore({ home, env: { MANDATE_SECRETS: 'file' } });
  await secrets.setPassword(secrets.service, SECRET_ACCOUNTS.client('mandate'), mandateSecret);
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({
    ...opts.policy,
    authorizationServer: { issuer: authz.issuer, clientId: 'mandate' },
    providers: { slack: { baseUrl: apis.baseUrls.slack }, crm: { baseUrl: apis.baseUrls.crm }, calendar: { baseUrl: apis.baseUrls.calendar } },
  }));
  const logFile = path.join(opts.work, 'standalone-server.log');
  const logFd = fs.openSync(logFile, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env, MANDATE_HOME: home, MANDATE_SECRETS: 'file', MANDATE_LOG_LEVEL: 'info' };
  delete env.MANDATE_CONFIG;
  const child = opts.spawned(spawn(process.execPath, [opts.cli, 'serve', '--transport', 'http', '--port', String(port), '--approvals-port', '0'], { env, stdio: ['ignore', 'ignore', logFd] }));
  fs.closeSync(logFd);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    await apis.close();
    await authz.close();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const timer = setInterval(() => {
        if (/serving MCP over Streamable HTTP/.test(fs.readFileSync(logFile, 'utf8'))) { clearInterval(timer); resolve(); }
        else if (child.exitCode !== null || Date.now() - started > 60_000) {
          clearInterval(timer);
          reject(new Error(`mandate serve (configured) did not start:\n${fs.readFileSync(logFile, 'utf8')}`));
        }
      }, 20);
    });
    const { refreshToken } = await authz.provisionDelegation({
      user: 'demo-user', agent: 'demo-agent', client: 'demo-agent',
      scopes: Object.fromEntries((Object.keys(RESOURCES) as UpstreamProvider[]).map((p) => [RESOURCES[p], PROVIDER_SCOPES[p]])),
    });
    const res = await fetch(`${authz.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`demo-agent:${agentSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, resource: url }),
    });
    const bearer = ((await res.json()) as { access_token?: string }).access_token;
    if (!bearer) throw new Error(`no bearer token for the configured server (HTTP ${res.status})`);
    return { child, url, bearer, close: stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
