// The 2026-07-28 baseline: the same bare tools as bare.ts, on an SDK v2 McpServer served
// statelessly by the SDK's own entry (`createMcpHandler`, one server per request, legacy
// traffic refused) through the v2 Node adapter (`toNodeHandler`). No identity, no policy,
// no audit, no token exchange: what a modern request costs without Mandate's pipeline.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { silentLogger } from '../src/log.js';
import { connectorFor, type BareDeps } from './bare.js';

/** One bare v2 McpServer (the handler builds one per request, as the SDK's stateless examples do). */
export function createBareModernServer(deps: BareDeps): McpServer {
  const server = new McpServer({ name: 'bare', version: '1.0.0' });
  const log = silentLogger();
  for (const tool of deps.tools) {
    if (tool.provider === 'mandate') continue;
    const baseUrl = deps.baseUrls[tool.provider];
    const tokens = deps.tokens(tool);
    server.registerTool(tool.name, { description: tool.description, inputSchema: tool.input }, async (args, ctx) => {
      const signal = ctx.mcpReq.signal;
      const connector = connectorFor(tool.provider, baseUrl, tokens, signal);
      const out = (await tool.handler(args as never, { connector, callId: 'bare', log, signal })) as Record<string, unknown>;
      return { content: [{ type: 'text' as const, text: JSON.stringify(out) }], structuredContent: out };
    });
  }
  return server;
}

/** Stateless 2026-07-28 Streamable HTTP for the bare server on 127.0.0.1 (no auth, no Origin check). */
export async function startBareModernHttp(deps: BareDeps): Promise<{ url: string; close(): Promise<void> }> {
  const handler = createMcpHandler(() => createBareModernServer(deps), { legacy: 'reject' });
  const serve = toNodeHandler(handler);
  const server = http.createServer((req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      await handler.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
