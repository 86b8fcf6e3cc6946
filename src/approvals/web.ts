// The loopback approval page: pending calls with their full arguments and a readable summary,
// Approve / Deny buttons, refreshed without a reload. Bound to 127.0.0.1; every state change
// needs the page's CSRF token and a same-origin request (DNS-rebinding defence).
import http from 'node:http';
import os from 'node:os';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { Store } from '../store/types.js';
import { openStore } from '../store/index.js';
import type { CliIo } from '../cli/io.js';
import { println } from '../cli/io.js';
import { renderApprovalPage } from './page.js';

export interface ApprovalUiHandle {
  url: string;
  close(): Promise<void>;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams | null> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 16 * 1024) return null;
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    try {
      return new URLSearchParams(JSON.parse(text) as Record<string, string>);
    } catch {
      return null;
    }
  }
  return new URLSearchParams(text);
}

/** Serves the approval page for `store` on 127.0.0.1:`port` (0 = any). */
export async function startApprovalUi(store: Store, opts: { port?: number; approver?: string } = {}): Promise<ApprovalUiHandle> {
  const csrf = randomBytes(24).toString('base64url');
  const approver = opts.approver ?? `${os.userInfo().username}@${os.hostname()} (web)`;
  let origin = '';
  const allowedHosts = new Set<string>();
  const send = (res: http.ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    });
    res.end(body);
  };
  const json = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, 'application/json', JSON.stringify(value));

  const server = http.createServer(async (req, res) => {
    try {
      // Only this loopback origin may talk to the page (a rebinding attacker's Host differs).
      if (!allowedHosts.has(req.headers.host ?? '')) return json(res, 403, { error: 'forbidden host' });
      const url = new URL(req.url ?? '/', origin);
      if (req.method === 'GET' && url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', renderApprovalPage(csrf));
      if (req.method === 'GET' && url.pathname === '/api/approvals') {
        await store.expireApprovals(new Date());
        const pending = await store.listApprovals({ status: 'pending' });
        return json(res, 200, { approvals: pending });
      }
      const m = /^\/api\/approvals\/([A-Za-z0-9_-]{1,80})\/(approve|deny)$/.exec(url.pathname);
      if (req.method === 'POST' && m) {
        const from = req.headers.origin;
        if (from !== undefined && !allowedHosts.has(from.replace(/^http:\/\//, ''))) {
          return json(res, 403, { error: 'cross-origin request refused' });
        }
        const form = await readForm(req);
        const token = (req.headers['x-csrf-token'] as string | undefined) ?? form?.get('csrf') ?? '';
        if (!form || !safeEqual(token, csrf)) return json(res, 403, { error: 'missing or wrong CSRF token' });
        const id = m[1]!;
        const current = await store.getApproval(id);
        if (!current) return json(res, 404, { error: `no approval request ${id}` });
        if (current.status !== 'pending') return json(res, 409, { error: `approval ${id} is ${current.status}` });
        const decided = await store.decideApproval(id, {
          decision: m[2] === 'approve' ? 'approved' : 'rejected',
          approver,
          channel: 'web',
          reason: form.get('reason') || (m[2] === 'deny' ? 'denied on the approval page' : null),
        });
        return json(res, 200, { approval: decided });
      }
      return json(res, 404, { error: 'not found' });
    } catch (err) {
      return json(res, 500, { error: (err as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  allowedHosts.add(`127.0.0.1:${port}`).add(`localhost:${port}`);
  return {
    url: `${origin}/`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** `mandate approvals ui [--port N]`. */
export async function runApprovalsUi(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string', default: '8788' } }, strict: true });
  const store = openStore(io.home);
  const ui = await startApprovalUi(store, { port: Number(values.port) });
  println(io.stderr, `mandate: approval page at ${ui.url} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
  await ui.close();
  await store.close();
  return 0;
}
