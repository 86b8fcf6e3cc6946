// The approval console on loopback: pending calls with their full arguments and a readable
// summary, Approve / Deny buttons, refreshed without a reload. Only an authenticated approver
// sees or decides anything: the holder of the console's secret link (sessions.ts), a user
// signed in with OpenID Connect when an authorization server is configured (oidc-signin.ts),
// and, with `approvals.presence: "passkey"`, approving also needs a passkey assertion made for
// that very approval (passkeys.ts). Without a session every `/api/*` answers 401 and the page
// says only where the link is. Bound to 127.0.0.1 and served as http://localhost:PORT (WebAuthn
// needs a domain); a request whose Host or Origin is not the console's own is refused (DNS
// rebinding, cross-site requests), and every state change needs the session's CSRF token.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { Approval, ApprovalChannel, Store } from '../store/types.js';
import { StoreError } from '../store/errors.js';
import { openCliStore } from '../cli/store.js';
import type { Config } from '../config/schema.js';
import type { SecretStore } from '../secrets/index.js';
import type { CliIo } from '../cli/io.js';
import { UsageError, println } from '../cli/io.js';
import { renderApprovalPage, renderEnrollPage, renderSignInPage } from './page.js';
import {
  CONSOLE_LINK_FILE, ConsoleSessions, homeOwner, readCookie, safeEqual, writePrivateFile, type ConsoleSession,
} from './sessions.js';
import { PasskeyRefused, Passkeys } from './passkeys.js';
import { OidcSignIn, type OidcSignInOptions } from './oidc-signin.js';
import { configFromEnv, consoleRoutes, type ConsoleDeps } from './console/index.js';
import { decideApproval } from './decisions.js';
import { homeReceiptSigner, type ReceiptSigner } from '../audit/receipt.js';

export interface ApprovalUiOptions {
  /** The state directory: owner of console-link decisions, home of `console-link` and `passkeys.json`. */
  home: string;
  /** 0 = any free port. */
  port?: number;
  /** `passkey`: approving needs an assertion from an enrolled passkey (config `approvals.presence`). */
  presence?: 'none' | 'passkey';
  /** Subjects who may decide any user's approvals when signed in with OIDC (config `approvals.approvers`). */
  approvers?: readonly string[];
  /** Sign approvers in at this authorization server instead of the secret link. */
  oidc?: OidcSignInOptions;
  /** Keep the link in `<home>/console-link` (default true; `approvals enroll` prints its own only). */
  writeLinkFile?: boolean;
  /** Called after a passkey is enrolled. */
  onEnrolled?: () => void;
  /** Signs each decision's receipt (default: the audit key in `home`). */
  signer?: ReceiptSigner;
  /** The Activity and Agents views: the server's config in force, and what to drop on a revocation. */
  console?: Partial<Pick<ConsoleDeps, 'config' | 'onRevoked'>>;
}

export interface ApprovalUiHandle {
  /** The console's address, `http://localhost:PORT/`. */
  url: string;
  /** The secret link (`url#k=SECRET`); null when approvers sign in with OIDC. */
  link: string | null;
  close(): Promise<void>;
}

/** Largest request body accepted (a reason, the token, a passkey response). */
const MAX_BODY = 64 * 1024;
/** Longest denial reason kept; the agent sees it. */
const MAX_REASON = 1000;

type Body = { fields: Map<string, string>; json: Record<string, unknown> };

/** The body of a POST as string fields plus the JSON object (JSON or form-encoded); `too_large` / `invalid` otherwise. */
async function readBody(req: http.IncomingMessage): Promise<Body | 'too_large' | 'invalid'> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return 'too_large';
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const fields = new Map<string, string>();
  if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
    let value: unknown;
    try {
      value = text ? JSON.parse(text) : {};
    } catch {
      return 'invalid';
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) return 'invalid';
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string') fields.set(k, v);
    return { fields, json: value as Record<string, unknown> };
  }
  for (const [k, v] of new URLSearchParams(text)) fields.set(k, v);
  return { fields, json: Object.fromEntries(fields) };
}

let webauthnBundle: string | undefined;
/** @simplewebauthn/browser's own UMD bundle, from node_modules (its exports map does not name it). */
function webauthnScript(): string {
  if (webauthnBundle === undefined) {
    const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
    webauthnBundle = fs.readFileSync(path.join(path.dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
  }
  return webauthnBundle;
}

/** Serves the approval console for `store` on 127.0.0.1:`port`. */
export async function startApprovalUi(store: Store, opts: ApprovalUiOptions): Promise<ApprovalUiHandle> {
  const presence = opts.presence ?? 'none';
  const approvers = new Set(opts.approvers ?? []);
  const owner = homeOwner(opts.home);
  const sessions = new ConsoleSessions();
  const passkeys = new Passkeys(opts.home, owner);
  const oidc = opts.oidc ? new OidcSignIn(opts.oidc) : null;
  const linkFile = path.join(opts.home, CONSOLE_LINK_FILE);
  let origin = '';
  let port = 0;
  const cookieName = () => `mandate_console_${port}`;
  const loginCookie = () => `mandate_login_${port}`;
  const allowedHosts = new Set<string>();
  const allowedOrigins = new Set<string>();
  // The Activity and Agents views (src/approvals/console); a revocation names the signed-in approver.
  const sessionOf = new WeakMap<http.IncomingMessage, ConsoleSession>();
  const consoleRoute = consoleRoutes({
    store, config: opts.console?.config ?? configFromEnv(), onRevoked: opts.console?.onRevoked,
    actor: (req) => sessionOf.get(req)?.signIn.approver ?? 'console',
  });

  /** Records one decision: the console's one call that changes an approval. */
  const signer = opts.signer ?? homeReceiptSigner(opts.home);
  async function decide(id: string, decision: 'approved' | 'rejected', approver: string, method: ApprovalChannel, reason: string | null): Promise<Approval> {
    return (await decideApproval({ store, signer }, id, { decision, approver, method, reason })).approval;
  }

  const send = (res: http.ServerResponse, status: number, type: string, body: string, nonce?: string, headers: Record<string, string | string[]> = {}) => {
    const script = nonce ? `'nonce-${nonce}'` : "'none'";
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy':
        `default-src 'none'; script-src ${script}; style-src ${script}; connect-src 'self'; img-src 'self'; ` +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'referrer-policy': 'no-referrer',
      ...headers,
    });
    res.end(body);
  };
  const json = (res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string | string[]> = {}) =>
    send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), undefined, headers);
  const html = (res: http.ServerResponse, render: (nonce: string) => string, status = 200) => {
    const nonce = randomBytes(16).toString('base64');
    send(res, status, 'text/html; charset=utf-8', render(nonce), nonce);
  };
  const signInPage = (res: http.ServerResponse) =>
    html(res, (nonce) => renderSignInPage(nonce, { ...(oidc ? { oidcIssuer: oidc.issuer } : { linkFile }) }));

  /** Whether this session may decide (or see) this approval: OIDC approvers only their own users' calls. */
  const mayDecide = (s: ConsoleSession, a: Approval) =>
    s.signIn.method !== 'oidc' || a.user === s.signIn.sub || approvers.has(s.signIn.sub);

  const server = http.createServer(async (req, res) => {
    try {
      // Only this loopback origin may talk to the console: a rebinding attacker's Host differs,
      // and a page on any other origin (another port included) sends its own Origin.
      const host = req.headers.host ?? '';
      if (!allowedHosts.has(host)) return json(res, 403, { error: 'forbidden host' });
      const from = req.headers.origin;
      if (from !== undefined && !allowedOrigins.has(from)) return json(res, 403, { error: 'cross-origin request refused' });
      const url = new URL(req.url ?? '/', origin);
      const page = req.method === 'GET' && (url.pathname === '/' || url.pathname === '/enroll');
      // One name for the console, so its cookie and its passkeys' origin are one: the browser keeps the #fragment.
      if (page && host !== new URL(origin).host) {
        res.writeHead(302, { location: `${origin}${url.pathname}`, 'cache-control': 'no-store' });
        return res.end();
      }

      if (req.method === 'GET' && url.pathname === '/assets/webauthn.js') {
        return send(res, 200, 'text/javascript; charset=utf-8', webauthnScript());
      }
      // The link: its secret arrives in a POST body (the page reads it from the #fragment).
      if (req.method === 'POST' && url.pathname === '/auth/link' && !oidc) {
        const body = await readBody(req);
        if (body === 'too_large' || body === 'invalid') return json(res, 400, { error: 'bad request' });
        const got = sessions.exchange(body.fields.get('k') ?? '', { method: 'console', approver: `console:${owner}` });
        if (got === 'limited') return json(res, 429, { error: 'too many wrong links; wait a minute' });
        if (got === 'wrong') return json(res, 401, { error: 'unauthorized' });
        return json(res, 200, { ok: true }, { 'set-cookie': sessions.cookie(cookieName(), got) });
      }
      if (req.method === 'GET' && url.pathname === '/auth/login' && oidc) {
        const { url: to, browser } = await oidc.start(`${origin}/auth/callback`);
        res.writeHead(302, {
          location: to, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer',
          'set-cookie': `${loginCookie()}=${browser}; HttpOnly; SameSite=Lax; Path=/auth; Max-Age=600`,
        });
        return res.end();
      }
      if (req.method === 'GET' && url.pathname === '/auth/callback' && oidc) {
        let sub: string;
        try {
          sub = await oidc.finish(url, readCookie(req.headers.cookie, loginCookie()));
        } catch {
          return send(res, 403, 'text/plain; charset=utf-8', 'Sign-in failed or expired: open the console and sign in again.');
        }
        const id = sessions.open({ method: 'oidc', approver: `oidc:${sub}`, sub });
        // A page of our own, not a redirect: the cookie is SameSite=Strict, and a redirect
        // chain that began on the authorization server's site would not carry it.
        return send(res, 200, 'text/html; charset=utf-8',
          '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/"><title>Mandate</title><p>Signed in. <a href="/">Continue</a></p>',
          undefined, { 'set-cookie': [sessions.cookie(cookieName(), id), `${loginCookie()}=; Path=/auth; Max-Age=0`] });
      }

      const session = sessions.get(readCookie(req.headers.cookie, cookieName()));
      if (!session) {
        if (page) return signInPage(res);
        return json(res, 401, { error: 'unauthorized' });
      }

      if (req.method === 'GET' && url.pathname === '/') {
        return html(res, (nonce) => renderApprovalPage(session.csrf, nonce, { signedInAs: session.signIn.approver, presence, enrolled: passkeys.list().length }));
      }
      if (req.method === 'GET' && url.pathname === '/enroll') {
        return html(res, (nonce) => renderEnrollPage(session.csrf, nonce, passkeys.list().map((p) => p.label)));
      }
      if (req.method === 'GET' && url.pathname === '/api/approvals') {
        await store.expireApprovals(new Date());
        const pending = (await store.listApprovals({ status: 'pending' })).filter((a) => mayDecide(session, a));
        return json(res, 200, { approvals: pending });
      }
      if (req.method === 'GET' && url.pathname === '/api/passkeys') {
        return json(res, 200, { passkeys: passkeys.list().map((p) => ({ label: p.label, id: p.id, created_at: p.created_at })) });
      }
      if (url.pathname.startsWith('/api/activity') || url.pathname === '/api/agents' || url.pathname === '/api/revoke') {
        // Every agent's activity and the power to revoke are the operator's (or a configured approver's).
        if (session.signIn.method === 'oidc' && !approvers.has(session.signIn.sub)) return json(res, 403, { error: 'the Activity and Agents views are for the operator and configured approvers' });
        if (req.method === 'POST' && !safeEqual(String(req.headers['x-csrf-token'] ?? ''), session.csrf)) return json(res, 403, { error: 'missing or wrong CSRF token' });
        sessionOf.set(req, session);
        if (await consoleRoute(req, res, url)) return;
      }
      if (req.method !== 'POST') return json(res, 404, { error: 'not found' });

      // Every state change: the session's own CSRF token.
      const body = await readBody(req);
      if (body === 'too_large') return json(res, 413, { error: 'request body too large' });
      const token = (req.headers['x-csrf-token'] as string | undefined) ?? (body === 'invalid' ? undefined : body.fields.get('csrf')) ?? '';
      if (!safeEqual(token, session.csrf)) return json(res, 403, { error: 'missing or wrong CSRF token' });
      if (body === 'invalid') return json(res, 400, { error: 'the body must be a JSON object or a form' });

      try {
        if (url.pathname === '/api/passkeys/presence') return json(res, 200, { options: await passkeys.presenceOptions(session) });
        if (url.pathname === '/api/passkeys/presence/verify') {
          await passkeys.verifyAssertion(body.json.assertion as never, session, { kind: 'enrol-presence' });
          return json(res, 200, { ok: true });
        }
        if (url.pathname === '/api/passkeys/options') return json(res, 200, { options: await passkeys.registrationOptions(session) });
        if (url.pathname === '/api/passkeys') {
          const stored = await passkeys.register(body.json.response as never, session, body.fields.get('label') ?? '');
          opts.onEnrolled?.();
          return json(res, 200, { passkey: { label: stored.label, id: stored.id } });
        }

        const m = /^\/api\/approvals\/([A-Za-z0-9_-]{1,80})\/(approve|deny|challenge)$/.exec(url.pathname);
        if (!m) return json(res, 404, { error: 'not found' });
        const id = m[1]!;
        const action = m[2]!;
        const approval = await store.getApproval(id);
        if (!approval) return json(res, 404, { error: `no approval request ${id}` });
        if (!mayDecide(session, approval)) return json(res, 403, { error: `you may not decide approvals for user ${approval.user}` });
        if (action === 'challenge') {
          if (presence !== 'passkey') return json(res, 409, { error: 'this console does not ask for passkeys' });
          if (approval.status !== 'pending') return json(res, 409, { error: `approval ${id} is ${approval.status}, not pending` });
          return json(res, 200, { options: await passkeys.approvalOptions(approval, session) });
        }
        const deny = action === 'deny';
        let approver = session.signIn.approver;
        let method: ApprovalChannel = session.signIn.method;
        // Denying needs no passkey: a forged denial can only stop a call, which any local process can do anyway.
        if (!deny && presence === 'passkey') {
          if (!passkeys.list().length) return json(res, 403, { error: 'approving needs a passkey and none is enrolled: run "mandate approvals enroll"' });
          if (!body.json.assertion || typeof body.json.assertion !== 'object') return json(res, 403, { error: 'approving needs a passkey assertion for this approval' });
          const key = await passkeys.verifyAssertion(body.json.assertion as never, session, { kind: 'approve', approvalId: id, argsDigest: approval.args_digest });
          approver = `passkey:${key.label}`;
          method = 'passkey';
        }
        const reason = (body.fields.get('reason') ?? '').trim().slice(0, MAX_REASON);
        const decided = await decide(id, deny ? 'rejected' : 'approved', approver, method, reason || (deny ? 'denied on the approval console' : null));
        return json(res, 200, { approval: decided });
      } catch (err) {
        if (err instanceof PasskeyRefused) return json(res, err.status, { error: err.message });
        if (!(err instanceof StoreError)) throw err;
        const status = err.code === 'not_found' ? 404 : err.code === 'not_pending' || err.code === 'expired' ? 409 : 400;
        return json(res, status, { error: err.message });
      }
    } catch {
      if (res.headersSent) return res.end();
      return json(res, 500, { error: 'internal error; see the server log' });
    }
  });
  // The page polls every second or two over kept-alive sockets. Node's 5 s idle timeout could
  // close a socket just as the browser sends a decision or a revocation on it, and a browser
  // does not resend a POST: keep idle sockets well past the page's own polling interval.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  origin = `http://localhost:${port}`;
  passkeys.origin = origin;
  allowedHosts.add(`127.0.0.1:${port}`).add(`localhost:${port}`);
  allowedOrigins.add(`http://127.0.0.1:${port}`).add(`http://localhost:${port}`);
  const link = oidc ? null : `${origin}/#k=${sessions.secret}`;
  if (link && opts.writeLinkFile !== false) writePrivateFile(linkFile, `${link}\n`);
  return {
    url: `${origin}/`,
    link,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * The console's options from the config: presence and approvers, and OIDC sign-in when an
 * authorization server is configured (its client secret from the secret store).
 */
export async function consoleOptions(config: Config, home: string, secrets: () => Promise<SecretStore>): Promise<ApprovalUiOptions> {
  const base: ApprovalUiOptions = { home, presence: config.approvals.presence, approvers: config.approvals.approvers };
  const as = config.authorizationServer;
  if (!as) return base;
  const { SECRET_ACCOUNTS } = await import('../runtime/identity.js');
  const store = await secrets();
  const clientSecret = await store.getPassword(store.service, SECRET_ACCOUNTS.client(as.clientId));
  if (!clientSecret) throw new UsageError(`no client secret for ${as.clientId} in the secret store: run "mandate agents register ${as.clientId}"`);
  return { ...base, oidc: { issuer: as.issuer, clientId: as.clientId, clientSecret } };
}

/** The lines telling the operator how to open the console. */
export function consoleLines(ui: ApprovalUiHandle, home: string): string[] {
  if (!ui.link) return [`${ui.url}  (sign in with your authorization server; redirect URI ${ui.url}auth/callback)`];
  return [ui.link, `  (kept in ${path.join(home, CONSOLE_LINK_FILE)}; anyone who has it can approve)`];
}

const portOption = (value: string | undefined): number => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not ${value}`);
  return port;
};

async function runConsole(io: CliIo, opts: Omit<ApprovalUiOptions, 'home'>, announce: (ui: ApprovalUiHandle) => void): Promise<number> {
  const { loadConfig } = await import('../config/load.js');
  const { openSecretStore } = await import('../secrets/index.js');
  const { config } = loadConfig(io.env);
  const store = await openCliStore(io);
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => { stop = resolve; });
  const ui = await startApprovalUi(store, {
    ...(await consoleOptions(config, io.home, () => openSecretStore({ home: io.home }))),
    ...opts,
    home: io.home,
    ...(opts.onEnrolled ? { onEnrolled: () => { opts.onEnrolled?.(); stop(); } } : {}),
  });
  announce(ui);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await stopped;
  await ui.close();
  await store.close();
  return 0;
}

/** `mandate approvals ui [--port N]`: the console on its own; prints its secret link. */
export async function runApprovalsUi(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: '8788' } }, strict: true });
  return runConsole(io, { port: portOption(values.port) }, (ui) => {
    println(io.stderr, 'mandate: approval console (Ctrl-C to stop):');
    for (const l of consoleLines(ui, io.home)) println(io.stderr, `  ${l}`);
  });
}

/**
 * `mandate approvals enroll [--port N]`: a one-off console whose link opens the passkey
 * registration page; it stops once a passkey is enrolled. Its link is printed only (the running
 * console's `console-link` file stays as it is) and always signs in with the link.
 */
export async function runApprovalsEnroll(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: '0' } }, strict: true });
  return runConsole(io, { port: portOption(values.port), oidc: undefined, writeLinkFile: false, onEnrolled: () => undefined }, (ui) => {
    const link = ui.link!.replace('/#k=', '/enroll#k=');
    println(io.stderr, 'mandate: open this link in your browser to register a passkey (it stops once one is registered; Ctrl-C to cancel):');
    println(io.stderr, `  ${link}`);
  });
}
