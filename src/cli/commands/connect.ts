// `mandate connect slack|hubspot|google [--account NAME] [--token-stdin] [--no-browser]`:
// connects one real provider account with the user's own provider app. It says what it will
// ask for before asking, and what was granted after. Google: authorization code + PKCE with a
// loopback redirect (desktop client), offline access. HubSpot: the same with a
// `http://localhost` redirect, or a private app token pasted once. Slack: its redirects must be
// HTTPS, so the redirected URL is pasted back into the terminal; or a bot/user token pasted
// once. Credentials go to the secret store in one write, only once everything succeeded.
import http from 'node:http';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as oidc from 'openid-client';
import type { CliIo } from '../io.js';
import { UsageError, println } from '../io.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { openSecretStore } from '../../secrets/index.js';
import { allTools } from '../../../tools/index.js';
import { decide } from '../../policy/decide.js';
import {
  CONNECT_PROVIDERS, GrantStore, PROVIDERS, ProviderOAuthError, endpointsOf, identify,
  type ConnectProvider, type Grant, type ProviderSpec, type TokenAnswer,
} from '../../vault/index.js';

const WAIT_MS = 5 * 60_000;

/** The scopes the configured tools of a provider need (tools some agent may use), and which tool needs which. */
export function neededScopes(config: Config, spec: ProviderSpec): { scopes: string[]; byTool: Map<string, readonly string[]> } {
  const agents = ['demo-agent', ...Object.keys(config.agents)];
  const byTool = new Map<string, readonly string[]>();
  for (const tool of allTools) {
    if (tool.provider !== spec.upstream) continue;
    if (agents.some((agentId) => decide({ agents: config.agents, agentId, tool, now: new Date() }).effect !== 'deny')) byTool.set(tool.name, tool.scopes);
  }
  return { scopes: [...new Set([...byTool.values()].flat())].sort(), byTool };
}

/** Tools that would fail with these granted scopes (an empty grant list: the provider did not say). */
export function toolsLacking(granted: readonly string[], byTool: Map<string, readonly string[]>): Array<{ tool: string; missing: string[] }> {
  if (granted.length === 0) return [];
  return [...byTool].map(([tool, s]) => ({ tool, missing: s.filter((x) => !granted.includes(x)) })).filter((t) => t.missing.length > 0);
}

/** Lines typed (or piped) into the terminal, one at a time. */
function lineReader(): { next(prompt: string, io: CliIo): Promise<string>; close(): void } {
  const rl = createInterface({ input: process.stdin, terminal: false });
  const queue: string[] = [];
  const waiting: Array<(l: string | null) => void> = [];
  let ended = false;
  rl.on('line', (l) => { const w = waiting.shift(); if (w) w(l); else queue.push(l); });
  rl.on('close', () => { ended = true; for (const w of waiting.splice(0)) w(null); });
  return {
    async next(prompt, io) {
      io.stderr.write(prompt);
      const l = queue.length ? queue.shift()! : ended ? null : await new Promise<string | null>((r) => waiting.push(r));
      if (l === null) throw new UsageError(`no answer on stdin (${prompt.trim()})`);
      return l.trim();
    },
    close: () => rl.close(),
  };
}

export async function runConnect(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      account: { type: 'string' }, 'token-stdin': { type: 'boolean' }, 'no-browser': { type: 'boolean' },
      'client-id': { type: 'string' }, port: { type: 'string' },
    },
    strict: true,
  });
  const name = positionals[0] as ConnectProvider | undefined;
  if (!name || !CONNECT_PROVIDERS.includes(name) || positionals.length > 1) {
    throw new UsageError('usage: mandate connect slack|hubspot|google [--account NAME] [--token-stdin] [--no-browser] [--client-id ID] [--port N]');
  }
  const spec = PROVIDERS[name];
  const { config } = loadConfig(io.env);
  const pcfg = config.providers?.[spec.upstream];
  const configured = Object.keys(pcfg?.accounts ?? {});
  const account = values.account ?? configured[0] ?? 'default';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(account)) throw new UsageError('account names are letters, digits and _ . - (at most 64)');
  const ep = endpointsOf(spec, pcfg);
  const { scopes, byTool } = neededScopes(config, spec);
  const secrets = await openSecretStore({ home: io.home });
  const grants = new GrantStore(secrets);
  const lines = lineReader();
  const cmd = `mandate connect ${name} --account ${account}`;
  try {
    let grant: Grant;
    if (values['token-stdin']) {
      const problem0 = name === 'google' ? spec.pasteProblem('') : undefined;
      if (problem0) { println(io.stderr, `mandate connect: ${problem0}.`); return 1; }
      println(io.stderr, `mandate connect ${name}: paste the ${name === 'slack' ? 'bot (xoxb-…) or user (xoxp-…) token of your Slack app' : 'access token of your HubSpot private app (pat-…)'} on one line. It is checked with ${spec.label}, then kept in the ${secrets.backend} secret store as account "${account}"; it is never printed.`);
      const token = await lines.next('', io);
      const problem = spec.pasteProblem(token);
      if (problem) { println(io.stderr, `mandate connect: ${problem}. Nothing was stored.`); return 1; }
      const facts = await identify(spec, ep, token).catch((err: unknown) => { throw explain(err, spec, cmd); });
      grant = {
        v: 1, provider: spec.upstream, account, method: 'pasted', accessToken: token,
        expiresAt: facts.expiresIn ? Math.floor(Date.now() / 1000) + facts.expiresIn : undefined,
        scopes: facts.scopes, identity: facts.identity, tokenType: facts.tokenType, connectedAt: new Date().toISOString(),
      };
    } else {
      const stored = await grants.app(spec.upstream);
      println(io.stderr, [
        `mandate connect ${name} will:`,
        stored
          ? `  1. use your ${spec.label} app ${stored.clientId} (its client id and secret are in the ${secrets.backend} secret store);`
          : `  1. ask for the client id and client secret of your own ${spec.label} app (${spec.appConsole}); they are kept in the ${secrets.backend} secret store;`,
        `  2. ask ${spec.label} for these scopes, which the configured tools need, and no more: ${scopes.join(', ') || '(none)'};`,
        name === 'slack'
          ? '  3. show you Slack\'s consent page; Slack redirects to an HTTPS address, so paste the address the browser lands on back here;'
          : `  3. show you ${spec.label}'s consent page and receive the answer on this machine (${spec.loopbackRedirect});`,
        `  4. keep the ${name === 'google' ? 'refresh token (offline access)' : 'tokens'} for account "${account}" in the secret store; they never appear in config, logs or the audit trail.`,
      ].join('\n'));
      const clientId = stored?.clientId ?? values['client-id'] ?? (await lines.next(`${spec.label} app client id: `, io));
      const clientSecret = stored && stored.clientId === clientId ? stored.clientSecret : await lines.next(`${spec.label} app client secret: `, io);
      if (!clientId || !clientSecret) { println(io.stderr, 'mandate connect: a client id and a client secret are both needed. Nothing was stored.'); return 1; }
      const t = await authorize({ spec, name, ep, clientId, clientSecret, scopes, io, lines, noBrowser: Boolean(values['no-browser']), port: values.port, redirectUri: pcfg?.redirectUri, cmd });
      if (typeof t === 'number') return t;
      const facts = spec.id === 'slack' && t.identity ? { identity: t.identity, scopes: t.scopes ?? [] } : await identify(spec, ep, t.accessToken).catch((err: unknown) => { throw explain(err, spec, cmd); });
      grant = {
        v: 1, provider: spec.upstream, account, method: 'oauth', accessToken: t.accessToken, refreshToken: t.refreshToken,
        expiresAt: t.expiresIn !== undefined ? Math.floor(Date.now() / 1000) + t.expiresIn : undefined,
        scopes: t.scopes?.length ? t.scopes : facts.scopes, identity: { ...facts.identity, ...(t.identity ?? {}) }, tokenType: t.tokenType, connectedAt: new Date().toISOString(),
      };
      if (name !== 'slack' && !grant.refreshToken) {
        println(io.stderr, `mandate connect: ${spec.label} issued no refresh token, so the connection could not be kept. Nothing was stored; run "${cmd}" again.`);
        return 1;
      }
      await grants.putApp(spec.upstream, { clientId, clientSecret });
    }
    await grants.put(grant);
    const who = grant.identity.name && grant.identity.name !== grant.identity.id ? `${grant.identity.id} (${grant.identity.name})` : grant.identity.id;
    const expiry = grant.expiresAt ? `access token for ${Math.round((grant.expiresAt - Date.now() / 1000) / 60)} min, ${grant.refreshToken ? `refreshed automatically${name === 'slack' ? ' (token rotation)' : ''}` : 'not refreshable'}` : 'the token does not expire';
    println(io.stdout, `Connected ${spec.label} account "${account}": ${name === 'slack' ? 'team' : name === 'hubspot' ? 'portal' : 'Google account'} ${who}.`);
    println(io.stdout, `Granted: ${grant.scopes.join(', ') || '(the provider did not list scopes)'}; ${expiry}.`);
    for (const l of toolsLacking(grant.scopes, byTool)) {
      println(io.stdout, `warning: ${l.tool} will fail with account_unavailable: not granted ${l.missing.join(', ')}. Add ${l.missing.length > 1 ? 'them' : 'it'} to your ${spec.label} app and run "${cmd}" again.`);
    }
    if (!configured.includes(account)) {
      println(io.stdout, `Add it to the config to use it: "providers": { "${spec.upstream}": { "accounts": { "${account}": {} } } }`);
    }
    return 0;
  } catch (err) {
    if (err instanceof ConnectFailure) { println(io.stderr, `mandate connect: ${err.message}`); return 1; }
    throw err;
  } finally {
    lines.close();
  }
}

class ConnectFailure extends Error {}

/** A provider failure in plain words; nothing was stored. */
function explain(err: unknown, spec: ProviderSpec, cmd: string): Error {
  if (err instanceof ProviderOAuthError) {
    if (err.kind === 'transient') return new ConnectFailure(`${spec.label} is not answering (${err.providerCode}). Nothing was stored; try "${cmd}" again shortly.`);
    return new ConnectFailure(`${spec.label} refused (${err.providerCode}): ${err.message}. Nothing was stored; check the app's client id, secret and redirect URL, then run "${cmd}" again.`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

interface AuthorizeInput {
  spec: ProviderSpec; name: ConnectProvider; ep: ReturnType<typeof endpointsOf>; clientId: string; clientSecret: string;
  scopes: string[]; io: CliIo; lines: ReturnType<typeof lineReader>; noBrowser: boolean; port?: string; redirectUri?: string; cmd: string;
}

/** Runs the authorization code flow and exchanges the code; a number is the exit code of a failure already explained. */
async function authorize(a: AuthorizeInput): Promise<TokenAnswer | number> {
  const { spec, io } = a;
  const state = oidc.randomState();
  const verifier = oidc.randomPKCECodeVerifier();
  const challenge = spec.pkce ? await oidc.calculatePKCECodeChallenge(verifier) : undefined;
  let redirectUri: string;
  let received: Promise<URL>;
  let stop = () => undefined as void;
  if (spec.loopbackRedirect) {
    const server = http.createServer();
    const defaultPort = spec.id === 'hubspot' ? '8976' : '0';
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(Number(a.port ?? defaultPort), '127.0.0.1', resolve); });
    const port = (server.address() as AddressInfo).port;
    redirectUri = `${spec.loopbackRedirect}:${port}/callback`;
    received = new Promise<URL>((resolve, reject) => {
      server.on('request', (req, res) => {
        const got = new URL(req.url ?? '/', redirectUri);
        if (got.pathname !== '/callback') { res.writeHead(404).end(); return; }
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><meta charset="utf-8"><title>Mandate</title><p>Done. You can close this tab and return to the terminal.</p>');
        resolve(got);
      });
      setTimeout(() => reject(new ConnectFailure(`no answer from the browser within 5 minutes. Nothing was stored; run "${a.cmd}" again.`)), WAIT_MS).unref();
    });
    stop = () => { server.close(); server.closeAllConnections(); };
  } else {
    redirectUri = a.redirectUri ?? 'https://localhost/mandate/callback';
    received = Promise.resolve(null as unknown as URL);
  }
  try {
    const url = new URL(a.ep.authorizeUrl);
    for (const [k, v] of Object.entries(spec.authorizeQuery({ clientId: a.clientId, redirectUri, scopes: a.scopes, state, challenge }))) url.searchParams.set(k, v);
    println(io.stderr, `\nOpen this page to connect ${spec.label}:\n\n  ${url.href}\n`);
    if (!a.noBrowser) {
      const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
      spawn(opener, [url.href], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
    }
    let callback: URL;
    if (spec.loopbackRedirect) callback = await received;
    else {
      const pasted = await a.lines.next(`After you allow access, your browser lands on ${redirectUri}?code=… (the page may not load: that is expected). Paste that whole address here: `, io);
      try { callback = new URL(pasted); } catch { println(io.stderr, `mandate connect: that is not an address (it should start with ${redirectUri}). Nothing was stored; run "${a.cmd}" again.`); return 1; }
    }
    const error = callback.searchParams.get('error');
    if (error) {
      println(io.stderr, `mandate connect: ${error === 'access_denied' ? 'the consent was denied' : `${spec.label} answered ${error}`}. Nothing was stored; run "${a.cmd}" again to connect.`);
      return 1;
    }
    if (callback.searchParams.get('state') !== state) {
      println(io.stderr, `mandate connect: the redirect carries another state than this connect asked for (an old or foreign link). Nothing was stored; run "${a.cmd}" again and use the page it prints.`);
      return 1;
    }
    const code = callback.searchParams.get('code');
    if (!code) { println(io.stderr, `mandate connect: the redirect carries no code. Nothing was stored; run "${a.cmd}" again.`); return 1; }
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: a.clientId, client_secret: a.clientSecret });
    if (challenge) form.set('code_verifier', verifier);
    let res: Response;
    try {
      res = await fetch(a.ep.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form, signal: AbortSignal.timeout(15_000) });
    } catch (err) {
      throw explain(new ProviderOAuthError('transient', 'unreachable', String(err)), spec, a.cmd);
    }
    const text = await res.text();
    let body: unknown;
    try { body = JSON.parse(text); } catch { body = text; }
    try {
      return spec.readToken(res.status, body);
    } catch (err) {
      throw explain(err, spec, a.cmd);
    }
  } finally {
    stop();
  }
}
