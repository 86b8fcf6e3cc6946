// MCP over stdio: one server acting as one agent (`--agent`, default demo-agent). stdout
// carries only protocol frames; everything else goes to stderr.
import { randomUUID } from 'node:crypto';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Runtime } from '../runtime/index.js';
import { createMcpServer } from '../server/mcp.js';
import { frameFilter } from './frames.js';

/** Serves until stdin closes; resolves then. */
export async function serveStdio(runtime: Runtime, agent: string): Promise<void> {
  const identity = await runtime.identity.stdioIdentity(agent, `stdio-${randomUUID()}`);
  const server = createMcpServer(runtime.services, identity, runtime.policy);
  const log = runtime.services.logger;
  // Lines that are not JSON-RPC messages are answered here (the SDK would drop them unanswered).
  const input = process.stdin.pipe(frameFilter((answer) => {
    log.warn({ code: answer.error.code, reason: answer.error.message }, 'answered a malformed MCP message');
    process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...answer })}\n`);
  }));
  const transport = new StdioServerTransport(input, process.stdout);
  // A malformed frame must not stop the server: the SDK reports it here and reads on.
  server.onerror = (err) => log.warn({ err: { message: err.message } }, 'ignored a malformed or unexpected MCP message');
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
  });
  await server.connect(transport);
  log.info({ agent: identity.agent, user: identity.user }, 'serving MCP over stdio');
  await closed;
  await server.close().catch(() => undefined);
}
