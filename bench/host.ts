// The benchmark's server process: one Mandate runtime (sandbox emulators, embedded
// authorization server, store with durable audit) started once, serving
//   - guarded Streamable HTTP (the real serveHttp transport, bearer-checked),
//   - bare Streamable HTTP (an SDK McpServer per session, see bare.ts),
//   - bare 2026-07-28 Streamable HTTP (an SDK v2 McpServer per request, see bare-modern.ts),
//   - guarded stdio framing on fd 3 (createMcpServer, as serveStdio wires it),
//   - bare stdio framing on fd 4,
// and answering run.ts's control messages on the IPC channel. Logs go to a file, as a
// user's server would log to one; the run reads token exchanges from it.
// BENCH_ONLY=bare: the same runtime (sandbox, authorization server) serving only the bare
// HTTP server, for the memory comparison with `mandate serve --transport http`.
import fs from 'node:fs';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { AnyTool } from '../tools/define.js';
import { parseConfig } from '../src/config/load.js';
import { createLogger } from '../src/log.js';
import { startRuntime } from '../src/runtime/index.js';
import { tuneHeapForServer } from '../src/runtime/heap.js';
import { SECRET_ACCOUNTS } from '../src/runtime/identity.js';
import { serveHttp } from '../src/transports/http.js';
import { createMcpServer } from '../src/server/mcp.js';
import { RESOURCES, type UpstreamProvider } from '../src/resources.js';
import { DEMO_AGENT, DEMO_USER } from '../src/sandbox/index.js';
import type { TokenSource } from '../src/connectors/http.js';
import { clientCredentialsActor, createTokenBroker, refreshingSubject } from '../src/tokens/index.js';
import { createBareServer, startBareHttp } from './bare.js';
import { startBareModernHttp } from './bare-modern.js';
import { BENCH_CONFIG, BENCH_TOOLS, type HostInfo, type HostReply, type HostRequest } from './lib/protocol.js';

const home = process.env.BENCH_HOME!;
const logPath = process.env.BENCH_LOG!;
const bareOnly = process.env.BENCH_ONLY === 'bare';
process.env.MANDATE_SECRETS ??= 'file';

async function main(): Promise<void> {
  tuneHeapForServer(); // as `mandate serve` does; the bare server shares this process and its heap
  const logFd = fs.openSync(logPath, 'a');
  const logger = createLogger({ service: 'mandate' }, { fd: logFd } as unknown as NodeJS.WritableStream);
  const config = parseConfig(BENCH_CONFIG);
  const guardedHttp = bareOnly ? null : await serveHttp((mcpUrl) => startRuntime({ home, config, logger, mcpResource: mcpUrl }), { port: 0 });
  const runtime = guardedHttp?.runtime ?? (await startRuntime({ home, config, logger, mcpResource: 'urn:mandate:bench' }));
  const sandbox = runtime.sandbox!;
  const services = runtime.services;

  // The emulators keep every request they receive (tests read the tokens upstream saw). Over
  // hundreds of thousands of calls that list alone would dominate this process's memory, and
  // it is no part of Mandate: count the requests instead of keeping them.
  const upstreamRequests: Record<UpstreamProvider, number> = { slack: 0, crm: 0, calendar: 0 };
  for (const p of Object.keys(upstreamRequests) as UpstreamProvider[]) {
    const list = sandbox.emulators[p].requests;
    list.push = (...items) => { upstreamRequests[p] += items.length; return 0; };
  }

  // The bare server's fixed tokens come from a broker of its own, so they neither warm nor
  // count in Mandate's token cache.
  const secrets = runtime.identity.secrets;
  const get = async (account: string) => (await secrets.getPassword(secrets.service, account))!;
  const agentSecret = await get(SECRET_ACCOUNTS.client(DEMO_AGENT));
  const oauth = { issuer: runtime.identity.issuer!, clientId: DEMO_AGENT, clientSecret: agentSecret };
  const bareBroker = createTokenBroker({ issuer: oauth.issuer, clientId: 'mandate', clientSecret: await get(SECRET_ACCOUNTS.client('mandate')) });
  const mcpResource = guardedHttp?.url ?? 'urn:mandate:bench';
  const subject = refreshingSubject({ ...oauth, refreshToken: await get(SECRET_ACCOUNTS.delegation(DEMO_AGENT)), resource: mcpResource });
  const actor = clientCredentialsActor({ ...oauth, resource: mcpResource });
  const bareTokens = new Map<string, TokenSource>();
  const tools = BENCH_TOOLS.map((n) => services.toolByName.get(n)!) as AnyTool[];
  for (const tool of tools) {
    const request = { user: DEMO_USER.id, agent: DEMO_AGENT, resource: RESOURCES[tool.provider as UpstreamProvider], scopes: tool.scopes, subject, actor };
    let token = (await bareBroker.perToolToken(request)).token;
    bareTokens.set(tool.name, { token: async () => token, refresh: async () => (token = (await bareBroker.fresh(request)).token) });
  }
  const bareDeps = { tools, baseUrls: sandbox.baseUrls, tokens: (t: AnyTool) => bareTokens.get(t.name)! };
  const bareHttp = await startBareHttp(bareDeps);
  const bareModern = bareOnly ? null : await startBareModernHttp(bareDeps);

  // stdio framing on two extra fds, one per server, so both share this process and emulator.
  const identity = await runtime.identity.stdioIdentity(DEMO_AGENT, `stdio-${randomUUID()}`);
  if (!bareOnly) {
    const guardedSock = new net.Socket({ fd: 3, readable: true, writable: true });
    const bareSock = new net.Socket({ fd: 4, readable: true, writable: true });
    await createMcpServer(services, identity).connect(new StdioServerTransport(guardedSock, guardedSock));
    await createBareServer(bareDeps).connect(new StdioServerTransport(bareSock, bareSock));
  }

  // The MCP bearer token an HTTP agent presents: the delegation redeemed by the agent's own credentials.
  const res = await fetch(`${runtime.identity.issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${DEMO_AGENT}:${agentSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: await get(SECRET_ACCOUNTS.delegation(DEMO_AGENT)), resource: mcpResource }),
  });
  const bearer = ((await res.json()) as { access_token?: string }).access_token;
  if (!bearer) throw new Error(`no MCP bearer token (HTTP ${res.status})`);

  const stop = async () => {
    await bareHttp.close().catch(() => undefined);
    await bareModern?.close().catch(() => undefined);
    await (guardedHttp ?? runtime).close().catch(() => undefined);
    process.exit(0);
  };

  const handlers: Record<HostRequest['cmd'], (req: HostRequest) => Promise<unknown>> = {
    // Cold exchanges: each `refresh()` drops the cached per-tool token and runs one RFC 8693
    // exchange at the embedded authorization server (subject and actor tokens already held).
    async exchange(req) {
      const tool = services.toolByName.get('slack_read_history')!;
      const src = services.tokens.sourceFor(identity, tool, new AbortController().signal);
      await src.token();
      const samples: number[] = [];
      for (let i = 0; i < (req.n ?? 50); i++) {
        const t0 = performance.now();
        await src.refresh();
        samples.push(performance.now() - t0);
      }
      return samples;
    },
    async memory(req) {
      // With --expose-gc (BENCH_HOST_NODE_ARGS), `n: 1` asks for live memory only.
      const gc = (globalThis as { gc?: () => void }).gc;
      if (req.n === 1 && gc) gc();
      const m = process.memoryUsage();
      return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
    },
    async counts() {
      return { upstreamRequests: { ...upstreamRequests }, audit: await services.store.auditCount() };
    },
    async stop() {
      setImmediate(stop);
      return null;
    },
  };

  process.on('message', (msg: HostRequest) => {
    handlers[msg.cmd](msg).then(
      (result) => process.send!({ id: msg.id, ok: true, result } satisfies HostReply),
      (err: unknown) => process.send!({ id: msg.id, ok: false, error: String((err as Error)?.stack ?? err) } satisfies HostReply),
    );
  });
  process.on('disconnect', () => void stop());
  const info: HostInfo = { guardedUrl: guardedHttp?.url ?? '', bareUrl: bareHttp.url, bareModernUrl: bareModern?.url ?? '', bearer, pid: process.pid };
  process.send!({ ready: info });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench host failed: ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
