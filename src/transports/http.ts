// MCP over Streamable HTTP on 127.0.0.1, as an OAuth protected resource: every request is
// checked by its own bearer token (never by its session), Origin is validated against DNS
// rebinding, bodies over 1 MiB are refused, and the client's token never goes upstream.
// One URL serves both eras: a request carrying the 2026-07-28 `_meta` envelope is served
// statelessly (server/discover, Mcp-Method/Mcp-Name checked against the body); anything
// else is the 2025 protocol with sessions, whose POST streams can be resumed (Last-Event-ID).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, isLegacyRequest, type AuthInfo, type Server } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { Runtime } from '../runtime/index.js';
import type { Identity } from '../identity/types.js';
import { createMcpServer, PROTOCOL_VERSIONS } from '../server/mcp.js';
import { hostOf, loopbackHosts } from '../hosts.js';
import { MemoryEventStore } from './event-store.js';
import { RawArguments } from './raw-arguments.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/** How long a request that arrives while the runtime is still starting waits for it. */
export const STARTUP_WAIT_MS = 30_000;

interface Session {
  transport: NodeStreamableHTTPServerTransport;
  raw: RawArguments;
  server: Server;
  identity: Identity;
}

export interface HttpServerHandle {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface HttpOptions {
  port: number;
  host?: string;
  /** Origins allowed besides this server's own (config `server.allowedOrigins`). */
  allowedOrigins?: string[];
  /** URLs this server is also reached at (config `server.publicUrls`): their hosts pass the Host check. */
  publicUrls?: string[];
}

function jsonRpcError(res: http.ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readBody(req: http.IncomingMessage): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return 'too_large';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too_large';
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The request's headers as a web Headers object (for classifying the request). */
function webHeaders(req: http.IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') h.set(k, v);
    else if (Array.isArray(v)) for (const one of v) h.append(k, one);
  }
  return h;
}

/** The path of the protected resource metadata for the resource `mcpUrl` (RFC 9728 §3.1). */
export function metadataPathFor(mcpUrl: string): string {
  const u = new URL(mcpUrl);
  return `/.well-known/oauth-protected-resource${u.pathname === '/' ? '' : u.pathname}`;
}

/**
 * Starts the HTTP transport. It listens first, so that the runtime (and the authorization
 * server, which binds tokens to this resource) learns the MCP URL before it starts; a request
 * that arrives meanwhile is held until the runtime is ready (up to STARTUP_WAIT_MS), so a
 * client that connects the moment the port accepts is answered, not turned away.
 */
export async function serveHttp(
  makeRuntime: (mcpUrl: string) => Promise<Runtime>,
  opts: HttpOptions,
): Promise<HttpServerHandle & { runtime: Runtime }> {
  const host = opts.host ?? '127.0.0.1';
  const sessions = new Map<string, Session>();
  let runtime: Runtime | undefined;
  let markReady!: (r: Runtime | undefined) => void;
  const starting = new Promise<Runtime | undefined>((resolve) => { markReady = resolve; });
  const waitForRuntime = async (): Promise<Runtime | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(resolve, STARTUP_WAIT_MS, undefined); });
    try { return await Promise.race([starting, timeout]); } finally { clearTimeout(timer); }
  };
  let port = opts.port;
  const base = () => `http://${host}:${port}`;
  const mcpUrl = () => `${base()}/mcp`;
  const allowedOrigins = () =>
    new Set([base(), `http://localhost:${port}`, `http://127.0.0.1:${port}`, ...(opts.allowedOrigins ?? [])]);
  const metadataUrl = () => `${base()}${metadataPathFor(mcpUrl())}`;
  const challenge = (error?: string, description?: string) =>
    `Bearer resource_metadata="${metadataUrl()}", scope="mandate:tools"` +
    (error ? `, error="${error}"` : '') +
    (description ? `, error_description="${description.replace(/"/g, "'")}"` : '');

  async function authenticate(req: http.IncomingMessage, sessionId: string): Promise<Identity | { status: 401 | 403; error: string }> {
    const auth = req.headers.authorization;
    const token = auth && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined;
    return runtime!.identity.verifyBearer(token, sessionId);
  }

  // 2026-07-28: one server per request, built for the identity its bearer proved.
  const modern = createMcpHandler(({ authInfo }) => {
    const { identity, raw } = authInfo?.extra as { identity: Identity; raw: RawArguments };
    return createMcpServer(runtime!.services, identity, undefined, raw); // list changes go out on handler.notify
  }, {
    legacy: 'reject',
    maxRequestBodySize: MAX_BODY_BYTES,
    onerror: (err) => runtime?.services.logger.debug({ err: { message: err.message } }, 'MCP request refused'),
  });
  /** Serves one 2026-07-28 request through the SDK's fetch-shaped handler, streaming its answer. */
  async function serveModern(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer, body: unknown, authInfo: AuthInfo): Promise<void> {
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    const request = new Request(new URL(req.url ?? '/mcp', base()), { method: 'POST', headers: webHeaders(req), body: raw, signal: gone.signal });
    const response = await modern.fetch(request, { authInfo, parsedBody: body });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) { res.end(); return; }
    try {
      for await (const chunk of response.body) res.write(chunk);
    } catch {
      // the client went away mid-stream
    }
    res.end();
  }
  const stopNotify = { fn: () => {} };
  // Events of the 2025 sessions' POST streams, kept so a reconnecting client gets what it missed.
  const events = new MemoryEventStore();

  let hosts = new Set<string>();
  const server = http.createServer(async (req, res) => {
    // DNS rebinding: only this server's own names, before anything else is read.
    if (!hosts.has((req.headers.host ?? '').toLowerCase())) return jsonRpcError(res, 403, -32000, 'host not allowed: this server answers only to its own loopback address');
    if (!runtime && !(await waitForRuntime())) return jsonRpcError(res, 503, -32000, 'starting; try again in a moment', { 'retry-after': '1' });
    const log = runtime!.services.logger;
    try {
      const url = new URL(req.url ?? '/', base());
      if (url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
        // Public metadata: browser-based clients (the MCP Inspector) read it across origins.
        const cors = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET', 'access-control-allow-headers': 'mcp-protocol-version' };
        if (req.method === 'OPTIONS') { res.writeHead(204, cors).end(); return; }
        if (req.method !== 'GET') return jsonRpcError(res, 405, -32601, 'use GET');
        if (!runtime!.identity.issuer) return jsonRpcError(res, 404, -32601, 'no authorization server configured');
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...cors });
        res.end(JSON.stringify({
          resource: mcpUrl(),
          authorization_servers: [runtime!.identity.issuer],
          scopes_supported: ['mandate:tools'],
          bearer_methods_supported: ['header'],
          resource_name: 'Mandate',
        }));
        return;
      }
      if (url.pathname !== '/mcp') return jsonRpcError(res, 404, -32601, 'not found; the MCP endpoint is /mcp');
      const origin = req.headers.origin;
      if (origin && !allowedOrigins().has(origin)) return jsonRpcError(res, 403, -32000, 'origin not allowed');

      const sessionHeader = req.headers['mcp-session-id'];
      const sessionId = typeof sessionHeader === 'string' ? sessionHeader : undefined;
      const who = await authenticate(req, sessionId ?? 'pending');
      if ('error' in who) {
        return jsonRpcError(res, who.status, -32001, who.error, {
          'www-authenticate': challenge(who.status === 403 ? 'insufficient_scope' : 'invalid_token', who.error),
        });
      }

      let body: unknown;
      let raw: Buffer | undefined;
      if (req.method === 'POST') {
        const read = await readBody(req);
        // The rest of an oversized body is not read, so the connection cannot carry another request.
        if (read === 'too_large') return jsonRpcError(res, 413, -32600, 'request body larger than 1 MiB', { connection: 'close' });
        raw = read;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return jsonRpcError(res, 400, -32700, 'parse error: the body is not valid JSON');
        }
      }

      // A request with the 2026-07-28 envelope (or a malformed claim to it): the stateless path,
      // which answers its own errors (unsupported version, header mismatch, missing _meta).
      if (req.method === 'POST' && !sessionId && !(await isLegacyRequest(new Request(url, { method: 'POST', headers: webHeaders(req) }), body))) {
        const identity: Identity = { ...who, sessionId: 'stateless' };
        const args = new RawArguments();
        args.note(body, raw!.toString('utf8'));
        await serveModern(req, res, raw!, body, { token: who.bearer ?? '', clientId: who.client, scopes: ['mandate:tools'], extra: { identity, raw: args } });
        return;
      }

      if (sessionId) {
        const session = sessions.get(sessionId);
        if (!session) return jsonRpcError(res, 404, -32001, 'unknown or terminated session');
        // A session belongs to the identity that opened it; a token for someone else cannot ride on it.
        if (session.identity.user !== who.user || session.identity.agent !== who.agent) {
          return jsonRpcError(res, 403, -32001, 'this session belongs to another user or agent');
        }
        session.identity.bearer = who.bearer;
        if (raw) session.raw.note(body, raw.toString('utf8'));
        await session.transport.handleRequest(req, res, body);
        return;
      }

      const isInit = Array.isArray(body) ? body.some((m) => m?.method === 'initialize') : (body as { method?: string })?.method === 'initialize';
      if (req.method !== 'POST' || !isInit) return jsonRpcError(res, 400, -32000, 'missing mcp-session-id header (only initialize may start a session)');

      const identity: Identity = { ...who };
      const args = new RawArguments();
      const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        eventStore: events,
        retryInterval: 1000,
        supportedProtocolVersions: PROTOCOL_VERSIONS.filter((v) => v !== '2026-07-28'),
        onsessioninitialized: (id) => {
          identity.sessionId = id;
          sessions.set(id, { transport, server: mcp, identity, raw: args });
        },
      });
      transport.onclose = () => { if (transport.sessionId) sessions.delete(transport.sessionId); };
      const mcp = createMcpServer(runtime!.services, identity, runtime!.policy, args);
      mcp.onerror = (err) => log.warn({ err: { message: err.message } }, 'MCP protocol error');
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body);
    } catch (err) {
      log.error({ err }, 'HTTP request failed');
      if (!res.headersSent) jsonRpcError(res, 500, -32603, 'internal error');
      else res.end();
    }
  });
  server.requestTimeout = 0; // approvals may hold a request open for minutes
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  hosts = new Set([...loopbackHosts(port), ...(opts.publicUrls ?? []).map(hostOf)]);
  try {
    runtime = await makeRuntime(mcpUrl());
  } catch (err) {
    markReady(undefined);
    server.closeAllConnections();
    server.close();
    throw err;
  }
  markReady(runtime);
  const ready = runtime;
  // 2026-07-28 clients hear of a changed tool list on their subscriptions/listen stream.
  if (ready.policy) stopNotify.fn = ready.policy.onChange(() => modern.notify.toolsChanged());
  return {
    url: mcpUrl(),
    port,
    runtime: ready,
    async close() {
      stopNotify.fn();
      await modern.close().catch(() => undefined);
      for (const s of sessions.values()) await s.transport.close().catch(() => undefined);
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await ready.close();
    },
  };
}
