// The shared plumbing of the emulators: a small router on node:http bound to 127.0.0.1,
// a log of every request received (tests read which token an upstream saw), bearer-token
// checking through a pluggable verifier, and fault injection for the fault suite.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a resource server learned from a bearer token. */
export type BearerCheck =
  | { ok: true; claims: Record<string, unknown>; scopes: string[] }
  | {
      ok: false;
      reason: 'missing' | 'invalid' | 'expired' | 'wrong_audience' | 'insufficient_scope' | 'revoked';
      /** Scopes the token did carry (for missing_scope answers). */
      provided?: string[];
    };

/**
 * Checks a bearer token for one endpoint's required scopes (all of `anyOf` alternatives'
 * scopes: the token must hold at least one of them). Emulators answer in their own format.
 */
export type TokenVerifier = (token: string | undefined, requiredAnyOf: readonly string[]) => Promise<BearerCheck>;

/** Accepts any present token (the sandbox before a real authorization server is wired in). */
export const presenceVerifier: TokenVerifier = async (token) =>
  token ? { ok: true, claims: {}, scopes: [] } : { ok: false, reason: 'missing' };

/** How many requests an emulator remembers (the oldest are forgotten first). */
export const MAX_RECORDED_REQUESTS = 20_000;

export interface RecordedRequest {
  method: string;
  path: string;
  token: string | undefined;
  at: number;
}

/** A fault to inject into the next matching requests. */
export type Fault =
  | { kind: 'status'; status: number; count: number; retryAfter?: number }
  | { kind: 'hang'; count: number }
  | { kind: 'drop'; count: number };

export interface SandboxRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON or form body (form bodies become a plain object of strings). */
  body: unknown;
  token: string | undefined;
}

export interface SandboxResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** A body sent as is (an HTML consent page), instead of `body` as JSON. */
  raw?: string;
}

export type Handler = (req: SandboxRequest) => Promise<SandboxResponse> | SandboxResponse;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

/** A running emulator. */
export interface Emulator {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Makes the next `count` requests fail as described. */
  inject(fault: Fault): void;
  close(): Promise<void>;
}

export class Router {
  private routes: Route[] = [];
  on(method: string, path: string, handler: Handler): this {
    const keys: string[] = [];
    const pattern = new RegExp(
      '^' + path.replace(/[.]/g, '\\.').replace(/:([A-Za-z_]+)/g, (_m, k: string) => { keys.push(k); return '([^/]+)'; }) + '$',
    );
    this.routes.push({ method, pattern, keys, handler });
    return this;
  }
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    for (const r of this.routes) {
      if (r.method !== method && !(r.method === 'ANY')) continue;
      const m = r.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      try {
        r.keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]!); });
      } catch {
        return undefined; // bad %-encoding: no route matches, the provider's 404 answers
      }
      return { handler: r.handler, params };
    }
    return undefined;
  }
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1024 * 1024) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try { return JSON.parse(text); } catch { return Symbol.for('malformed'); }
}

export interface StartOptions {
  router: Router;
  /** Answer for an unknown path, in the provider's format. */
  notFound: (req: SandboxRequest) => SandboxResponse;
  /** Answer for a body that is not valid JSON, in the provider's format. */
  badRequest: (message: string) => SandboxResponse;
  /** Body of an injected error status, in the provider's format (429 must look like the provider's). */
  faultBody: (status: number) => unknown;
  port?: number;
}

/** Starts an emulator on 127.0.0.1 (an ephemeral port unless told). */
export async function startEmulator(opts: StartOptions): Promise<Emulator> {
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auth = req.headers.authorization;
    const token = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
    // Kept for tests and inspection; bounded so a long-running sandbox does not grow without end.
    if (requests.length >= MAX_RECORDED_REQUESTS) requests.splice(0, requests.length - MAX_RECORDED_REQUESTS + 1);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, token, at: Date.now() });
    const fault = faults[0];
    if (fault) {
      fault.count -= 1;
      if (fault.count <= 0) faults.shift();
      if (fault.kind === 'hang') return; // never answer; the client's timeout must fire
      if (fault.kind === 'drop') { req.socket.destroy(); return; }
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      res.writeHead(fault.status, headers).end(JSON.stringify(opts.faultBody(fault.status)));
      return;
    }
    let out: SandboxResponse;
    try {
      const body = await readBody(req);
      const sreq: SandboxRequest = {
        method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, params: {}, headers: req.headers, body, token,
      };
      if (body === Symbol.for('malformed')) out = opts.badRequest('request body is not valid JSON');
      else {
        const m = opts.router.match(sreq.method, url.pathname);
        if (!m) out = opts.notFound(sreq);
        else out = await m.handler({ ...sreq, params: m.params });
      }
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      out = status === 413 ? opts.badRequest('request body too large') : { status, body: { error: 'internal error' } };
    }
    const headers = { 'content-type': 'application/json; charset=utf-8', ...(out.headers ?? {}) };
    res.writeHead(out.status, headers);
    if (typeof out.raw === 'string') res.end(out.raw);
    else res.end(out.status === 204 || out.body === undefined ? undefined : JSON.stringify(out.body));
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inject: (f) => { faults.push({ ...f }); },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
