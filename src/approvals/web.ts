// The loopback approval page: pending calls with their full arguments and a readable summary,
// Approve / Deny buttons, refreshed without a reload. Bound to 127.0.0.1; a request whose Host
// or Origin is not this page's own is refused (DNS rebinding, cross-site requests), and every
// state change also needs the page's CSRF token.
import http from 'node:http';
import os from 'node:os';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { Store } from '../store/types.js';
import { StoreError } from '../store/errors.js';
import { openStore } from '../store/index.js';
import type { CliIo } from '../cli/io.js';
import { UsageError, println } from '../cli/io.js';
import { renderApprovalPage } from './page.js';
import { decideApproval } from './decisions.js';
import { homeReceiptSigner } from '../audit/receipt.js';
import type { ReceiptSigner } from '../audit/receipt.js';

export interface ApprovalUiHandle {
  /** The page's address, `http://127.0.0.1:PORT/`. */
  url: string;
  close(): Promise<void>;
}

/** Largest request body accepted (a reason and the token). */
const MAX_BODY = 16 * 1024;
/** Longest denial reason kept; the agent sees it. */
const MAX_REASON = 1000;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The body of a POST as string fields (JSON object or form-encoded); `too_large` / `invalid` otherwise. */
async function readFields(req: http.IncomingMessage): Promise<Map<string, string> | 'too_large' | 'invalid'> {
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
    return fields;
  }
  for (const [k, v] of new URLSearchParams(text)) fields.set(k, v);
  return fields;
}

/** Serves the approval page for `store` on 127.0.0.1:`port` (0 = any free port). */
export async function startApprovalUi(store: Store, opts: { port?: number; approver?: string; signer: ReceiptSigner }): Promise<ApprovalUiHandle> {
  const csrf = randomBytes(24).toString('base64url');
  const approver = opts.approver ?? `${os.userInfo().username}@${os.hostname()} (web)`;
  let origin = '';
  const allowedHosts = new Set<string>();
  const allowedOrigins = new Set<string>();
  const send = (res: http.ServerResponse, status: number, type: string, body: string, nonce?: string) => {
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
    });
    res.end(body);
  };
  const json = (res: http.ServerResponse, status: number, value: unknown) =>
    send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

  const server = http.createServer(async (req, res) => {
    try {
      // Only this loopback origin may talk to the page: a rebinding attacker's Host differs,
      // and a page on any other origin (another port included) sends its own Origin.
      if (!allowedHosts.has(req.headers.host ?? '')) return json(res, 403, { error: 'forbidden host' });
      const from = req.headers.origin;
      if (from !== undefined && !allowedOrigins.has(from)) return json(res, 403, { error: 'cross-origin request refused' });
      const url = new URL(req.url ?? '/', origin);

      if (req.method === 'GET' && url.pathname === '/') {
        const nonce = randomBytes(16).toString('base64');
        return send(res, 200, 'text/html; charset=utf-8', renderApprovalPage(csrf, nonce), nonce);
      }
      if (req.method === 'GET' && url.pathname === '/api/approvals') {
        await store.expireApprovals(new Date());
        const pending = await store.listApprovals({ status: 'pending' });
        return json(res, 200, { approvals: pending });
      }
      const m = /^\/api\/approvals\/([A-Za-z0-9_-]{1,80})\/(approve|deny)$/.exec(url.pathname);
      if (req.method === 'POST' && m) {
        const fields = await readFields(req);
        if (fields === 'too_large') return json(res, 413, { error: 'request body too large' });
        const token = (req.headers['x-csrf-token'] as string | undefined) ?? (fields === 'invalid' ? undefined : fields.get('csrf')) ?? '';
        if (!safeEqual(token, csrf)) return json(res, 403, { error: 'missing or wrong CSRF token' });
        if (fields === 'invalid') return json(res, 400, { error: 'the body must be a JSON object or a form' });
        const id = m[1]!;
        const deny = m[2] === 'deny';
        const reason = (fields.get('reason') ?? '').trim().slice(0, MAX_REASON);
        try {
          const { approval: decided } = await decideApproval({ store, signer: opts.signer }, id, {
            decision: deny ? 'rejected' : 'approved',
            approver,
            method: 'console',
            reason: reason || (deny ? 'denied on the approval page' : null),
          });
          return json(res, 200, { approval: decided });
        } catch (err) {
          if (!(err instanceof StoreError)) throw err;
          const status = err.code === 'not_found' ? 404 : err.code === 'not_pending' || err.code === 'expired' ? 409 : 400;
          return json(res, status, { error: err.message });
        }
      }
      return json(res, 404, { error: 'not found' });
    } catch {
      return json(res, 500, { error: 'internal error; see the server log' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  allowedHosts.add(`127.0.0.1:${port}`).add(`localhost:${port}`);
  allowedOrigins.add(`http://127.0.0.1:${port}`).add(`http://localhost:${port}`);
  return {
    url: `${origin}/`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** `mandate approvals ui [--port N]`. */
export async function runApprovalsUi(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: '8788' } }, strict: true });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not ${values.port}`);
  const store = openStore(io.home);
  const ui = await startApprovalUi(store, { port, signer: homeReceiptSigner(io.home) });
  println(io.stderr, `mandate: approval page at ${ui.url} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
  await ui.close();
  await store.close();
  return 0;
}
