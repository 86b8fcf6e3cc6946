// `mandate login --agent ID`: the user's one-time consent naming the agent. Authorization
// code + PKCE in the browser, a loopback redirect (RFC 8252), the consent page saying
// "Agent ID will act on your behalf with: …"; the refresh token goes to the secret store.
import http from 'node:http';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import * as oidc from 'openid-client';
import type { CliIo } from '../io.js';
import { UsageError, println } from '../io.js';
import { loadConfig } from '../../config/load.js';
import { openSecretStore } from '../../secrets/index.js';
import { openCliStore } from '../store.js';
import { readSandboxInfo } from '../../runtime/sandbox-file.js';
import { LOGIN_REDIRECT, SECRET_ACCOUNTS, delegationScopes } from '../../runtime/identity.js';

const LOGIN_TIMEOUT_MS = 5 * 60_000;

export async function runLogin(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { agent: { type: 'string' }, 'no-browser': { type: 'boolean' }, port: { type: 'string', default: '0' } },
    strict: true,
  });
  const agent = values.agent;
  if (!agent) throw new UsageError('usage: mandate login --agent ID [--no-browser] [--port N]');
  const { config } = loadConfig(io.env);
  const sandbox = config.authorizationServer ? null : readSandboxInfo(io.home);
  const issuer = config.authorizationServer?.issuer ?? sandbox?.issuer;
  if (!issuer) {
    println(io.stderr, 'no authorization server: configure "authorizationServer", or start the sandbox ("npm start" or "mandate sandbox") first');
    return 1;
  }
  const clientId = config.authorizationServer?.clientId ?? 'mandate';
  const resource = sandbox?.mcpResource ?? 'urn:mandate:stdio';
  const secrets = await openSecretStore({ home: io.home });
  const clientSecret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client(clientId));
  if (!clientSecret) {
    println(io.stderr, `no client secret for ${clientId} in the secret store: run "mandate agents register ${clientId}" and register it at ${issuer}`);
    return 1;
  }

  const url = new URL(issuer);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  const as = await oidc.discovery(url, clientId, clientSecret, undefined, loopback ? { execute: [oidc.allowInsecureRequests] } : undefined);
  const scopes = delegationScopes(config, agent);
  const upstreamScopes = [...new Set(Object.values(scopes).flat())];
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();

  // The loopback listener that receives the code.
  let redirectUri = '';
  let ready: () => void = () => undefined;
  const listening = new Promise<void>((resolve) => { ready = resolve; });
  const received = new Promise<URL>((resolve, reject) => {
    const server = http.createServer((req, res) => {
      const got = new URL(req.url ?? '/', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      if (got.pathname !== '/callback') { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><meta charset="utf-8"><title>Mandate</title><p>Done. You can close this tab and return to the terminal.</p>');
      server.close();
      resolve(got);
    });
    server.once('error', reject);
    setTimeout(() => { server.close(); reject(new Error('no answer from the browser within 5 minutes')); }, LOGIN_TIMEOUT_MS).unref();
    server.listen(Number(values.port), '127.0.0.1', () => {
      const redirect = new URL(LOGIN_REDIRECT);
      redirect.port = String((server.address() as AddressInfo).port);
      redirectUri = redirect.href;
      ready();
    });
  });
  await listening;

  const authUrl = oidc.buildAuthorizationUrl(as, {
    redirect_uri: redirectUri,
    scope: ['openid', 'offline_access', 'mandate:tools', ...upstreamScopes].join(' '),
    resource,
    requested_actor: agent,
    prompt: 'consent',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  println(io.stderr, `mandate: open this page to let agent ${agent} act on your behalf:\n\n  ${authUrl.href}\n`);
  if (!values['no-browser']) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(opener, [authUrl.href], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  }

  const callback = await received;
  if (callback.searchParams.get('error')) {
    println(io.stderr, `mandate: the consent was not given (${callback.searchParams.get('error')})`);
    return 1;
  }
  const tokens = await oidc.authorizationCodeGrant(as, callback, { pkceCodeVerifier: verifier, expectedState: state }, { resource });
  if (!tokens.refresh_token) {
    println(io.stderr, 'mandate: the authorization server issued no refresh token (offline_access); the delegation cannot be kept');
    return 1;
  }
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as { sub?: string };
  await secrets.setPassword(secrets.service, SECRET_ACCOUNTS.delegation(agent), tokens.refresh_token);
  const store = await openCliStore(io);
  try {
    const user = claims.sub ?? 'unknown-user';
    await store.putDelegation({
      user, agent, client: clientId,
      scopes: Object.entries(scopes).flatMap(([r, ss]) => ss.map((s) => `${r} ${s}`)),
      status: 'active', updated_at: new Date().toISOString(),
    });
    await store.unrevoke({ agent, user });
    println(io.stdout, `${user} delegated to agent ${agent}: ${upstreamScopes.join(', ') || 'no upstream scopes'}; the delegation is kept in the ${secrets.backend} secret store`);
  } finally {
    await store.close();
  }
  return 0;
}
