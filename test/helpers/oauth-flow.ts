// What an MCP client does at an authorization server, with plain fetch: register itself
// (dynamic registration, a public client), sign the demo user in and consent in a "browser"
// (authorization code + PKCE, `resource`), and refresh. Also a proxy that stands for a load
// balancer in front of several instances' authorization servers, routing where a test says.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Browser } from './browser.js';

export const CLIENT_REDIRECT = 'http://127.0.0.1:9/callback';

export interface SignedIn {
  clientId: string;
  accessToken: string;
  refreshToken: string;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Registers a public client at `origin`, signs the demo user in, consents, and redeems the code. */
export async function registerAndSignIn(origin: string, resource: string, name = 'Team Client'): Promise<SignedIn> {
  const reg = await json(await fetch(`${origin}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: name, redirect_uris: [CLIENT_REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' }),
  }));
  const clientId = String(reg.client_id);
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: clientId, response_type: 'code', redirect_uri: CLIENT_REDIRECT, scope: 'offline_access mandate:tools', prompt: 'consent',
    resource, state: 's', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  });
  const browser = new Browser(origin);
  const login = await browser.follow(`/auth?${q}`);
  if (login.status !== 200) throw new Error(`sign-in page: HTTP ${login.status} ${login.text.slice(0, 300)}`);
  const consent = await browser.follow(/action="([^"]+)"/.exec(login.text)![1]!, { method: 'POST', form: { signin: '1' } });
  const done = await browser.follow(/action="([^"]+)"/.exec(consent.text)![1]!, { method: 'POST', form: { decision: 'allow' } });
  const code = done.location ? new URL(done.location).searchParams.get('code') : null;
  if (!code) throw new Error(`no code: HTTP ${done.status} ${done.location ?? done.text.slice(0, 300)}`);
  const t = await json(await fetch(`${origin}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, code_verifier: verifier, redirect_uri: CLIENT_REDIRECT, resource }),
  }));
  return { clientId, accessToken: String(t.access_token), refreshToken: String(t.refresh_token) };
}

/** The refresh_token grant for a public client; returns the new access token and (rotated) refresh token. */
export async function refresh(origin: string, clientId: string, refreshToken: string, resource: string): Promise<{ accessToken: string; refreshToken: string }> {
  const t = await json(await fetch(`${origin}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken, resource }),
  }));
  return { accessToken: String(t.access_token), refreshToken: String(t.refresh_token ?? refreshToken) };
}

/** A load balancer standing in front of several ports: each request goes to `route()`'s port (Host kept). */
export async function routingProxy(route: () => number, port = 0): Promise<{ origin: string; server: http.Server; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const up = http.request({ host: '127.0.0.1', port: route(), method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502).end(); else res.destroy(); });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, server, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
