// The baseline the guard is measured against: a bare McpServer from the SDK, no identity,
// no policy, no audit, no token exchange. Each registered tool runs the same tool handler
// with the same connector class as Mandate, against the same emulator, with a fixed
// per-tool token minted once, so the only difference left is Mandate's pipeline.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AnyTool } from '../tools/define.js';
import type { TokenSource } from '../src/connectors/http.js';
import { SlackConnector } from '../src/connectors/slack.js';
import { CrmConnector } from '../src/connectors/crm.js';
import { CalendarConnector } from '../src/connectors/calendar.js';
import { silentLogger } from '../src/log.js';
import type { UpstreamProvider } from '../src/resources.js';

export interface BareDeps {
  tools: readonly AnyTool[];
  baseUrls: Record<UpstreamProvider, string>;
  /** The fixed token of each tool (minted once; re-minted only if an upstream refuses it). */
  tokens: (tool: AnyTool) => TokenSource;
}

/** The connector Mandate would build for `provider`, with the tool's fixed token. */
export function connectorFor(provider: AnyTool['provider'], baseUrl: string, tokens: TokenSource, signal: AbortSignal): unknown {
  switch (provider) {
    case 'slack': return new SlackConnector({ baseUrl, tokens, signal });
    case 'crm': return new CrmConnector({ baseUrl, tokens, signal });
    case 'calendar': return new CalendarConnector({ baseUrl, tokens, signal });
    default: throw new Error(`the bare server has no connector for ${provider}`);
  }
}

/** One bare MCP server (one per session, as the SDK's examples do). */
export function createBareServer(deps: BareDeps): McpServer {
  const server = new McpServer({ name: 'bare', version: '1.0.0' });
  const log = silentLogger();
  for (const tool of deps.tools) {
    if (tool.provider === 'mandate') continue;
    const baseUrl = deps.baseUrls[tool.provider];
    const tokens = deps.tokens(tool);
    server.registerTool(tool.name, { description: tool.description, inputSchema: tool.input }, async (args, extra) => {
      const connector = connectorFor(tool.provider, baseUrl, tokens, extra.signal);
      const out = (await tool.handler(args as never, { connector, callId: 'bare', log, signal: extra.signal })) as Record<string, unknown>;
      return { content: [{ type: 'text' as const, text: JSON.stringify(out) }], structuredContent: out };
    });
  }
  return server;
}

/** Streamable HTTP for bare servers on 127.0.0.1: a session map and nothing else (no auth, no Origin check). */
export async function startBareHttp(deps: BareDeps): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const server = http.createServer(async (req, res) => {
    try {
      let body: unknown;
      if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      }
      const sid = req.headers['mcp-session-id'];
      if (typeof sid === 'string') {
        const t = sessions.get(sid);
        if (!t) return void res.writeHead(404).end();
        await t.handleRequest(req, res, body);
        return;
      }
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => { sessions.set(id, transport); },
      });
      transport.onclose = () => { if (transport.sessionId) sessions.delete(transport.sessionId); };
      await createBareServer(deps).connect(transport);
      await transport.handleRequest(req, res, body);
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      for (const t of sessions.values()) await t.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
