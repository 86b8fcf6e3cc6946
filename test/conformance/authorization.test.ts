// `conformance authorization` against the embedded authorization server of a real
// `mandate serve --transport http`, with a client that exists only as a Client ID Metadata
// Document (AUTH-CIMD) served over https on loopback (its certificate trusted through
// NODE_EXTRA_CA_CERTS), the user's sign-in and consent played by the test's browser, and the
// authorization response checked for RFC 9207 `iss` (AUTH-ISS-9207).
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, tempHome } from '../helpers/cli.js';
import { Browser } from '../helpers/browser.js';
import { problems, runConformance, totals } from '../helpers/conformance.js';

let dir: string;
let docs: https.Server;
let docsOrigin: string;
let serve: ChildProcess;
let issuer: string;
let mcpUrl: string;
const documents = new Map<string, Record<string, unknown>>();

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-cimd-'));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  docs = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    const doc = documents.get(req.url ?? '');
    if (!doc) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
  docsOrigin = `https://127.0.0.1:${(docs.address() as AddressInfo).port}`;

  const { env } = tempHome();
  serve = spawn(process.execPath, [CLI, 'serve', '--transport', 'http', '--port', String(await freePort()), '--approvals-port', '0'],
    { env: { ...env, NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mandate serve did not start:\n${stderr}`)), 60_000);
    serve.stderr!.on('data', (d) => {
      stderr += d;
      const mcp = /serving MCP over Streamable HTTP at (\S+)/.exec(stderr);
      const as = /OAuth authorization server: (\S+)/.exec(stderr);
      if (mcp && as) { clearTimeout(timer); mcpUrl = mcp[1]!; issuer = as[1]!; resolve(); }
    });
    serve.once('exit', (code) => reject(new Error(`mandate serve exited (${code}):\n${stderr}`)));
  });
}, 90_000);

afterAll(async () => {
  serve?.kill('SIGTERM');
  await new Promise<void>((r) => docs?.close(() => r()));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Publishes a client's metadata document at `docsOrigin + name`; returns its URL (the client_id). */
function publish(name: string, redirect: string, extra: Record<string, unknown> = {}): string {
  const url = `${docsOrigin}${name}`;
  documents.set(name, {
    client_id: url, client_name: `CIMD client ${name}`, redirect_uris: [redirect],
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none', ...extra,
  });
  return url;
}

/** The user's browser: sign in as the demo user, allow; returns where the server redirects. */
async function consent(authorizeUrl: string): Promise<string | undefined> {
  const url = new URL(authorizeUrl);
  const browser = new Browser(url.origin);
  const login = await browser.follow(url.pathname + url.search);
  const form = /action="([^"]+)"/.exec(login.text);
  if (!form) return login.location;
  const consentPage = await browser.follow(form[1]!, { method: 'POST', form: { signin: '1' } });
  const allow = /action="([^"]+)"/.exec(consentPage.text);
  if (!allow) return consentPage.location;
  return (await browser.follow(allow[1]!, { method: 'POST', form: { decision: 'allow' } })).location;
}

describe('conformance authorization (embedded authorization server)', () => {
  it('AUTH-CIMD AUTH-ISS-9207 MCP-AUTH-PKCE: metadata, and an authorization code grant for a CIMD client with iss in the response', async () => {
    const port = await freePort();
    const clientId = publish('/clients/conformance.json', `http://127.0.0.1:${port}/callback`);
    let driven: Promise<void> | undefined;
    const run = await runConformance(
      ['authorization', '--url', issuer, '--client-id', clientId, '--resource', mcpUrl, '-p', String(port)],
      120_000,
      (line) => {
        if (!driven && line.startsWith(`${issuer}/`) && line.includes('client_id=')) {
          driven = (async () => {
            const callback = await consent(line.trim());
            expect(new URL(callback!).searchParams.get('iss')).toBe(issuer);
            await fetch(callback!); // the browser following the redirect to the suite's callback
          })();
        }
      },
    );
    await driven;
    console.log(`conformance authorization: ${JSON.stringify(totals(run))}`);
    expect(problems(run)).toEqual([]);
    expect(run.results.flatMap((r) => r.checks).filter((c) => c.status === 'SUCCESS').map((c) => c.id).sort())
      .toEqual(['authorization-code-grant', 'authorization-server-metadata', 'authorization-server-metadata-cimd'].sort());
    expect(run.code).toBe(0);
  }, 150_000);

  it('AUTH-CIMD: a document whose client_id is not its URL, an unlisted redirect_uri, or a client_credentials grant is refused', async () => {
    const redirect = 'http://127.0.0.1:9/callback';
    const authorize = (clientId: string, redirectUri = redirect) => `${issuer}/auth?${new URLSearchParams({
      client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'mandate:tools', resource: mcpUrl,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 's',
    })}`;
    const wrongId = publish('/clients/wrong-id.json', redirect);
    documents.set('/clients/wrong-id.json', { ...documents.get('/clients/wrong-id.json'), client_id: `${docsOrigin}/clients/other.json` });
    const greedy = publish('/clients/greedy.json', redirect, { grant_types: ['authorization_code', 'client_credentials'] });
    const fine = publish('/clients/fine.json', redirect);
    for (const [url, why] of [[authorize(wrongId), /client_id/], [authorize(greedy), /client/], [authorize(fine, 'http://127.0.0.1:9/elsewhere'), /redirect_uri/]] as const) {
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status, url).toBe(400);
      expect(await res.text()).toMatch(why);
    }
    // The same client with its listed redirect_uri reaches the sign-in page.
    expect((await fetch(authorize(fine), { redirect: 'manual' })).status).toBe(303);
  });
});
