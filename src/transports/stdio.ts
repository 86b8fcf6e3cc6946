// MCP over stdio: one connection acting as one agent (`--agent`, default demo-agent), in the
// era its opening message picks (2025 `initialize`, or a 2026-07-28 request with its `_meta`
// envelope). stdout carries only protocol frames; everything else goes to stderr.
import { randomUUID } from 'node:crypto';
import { serveStdio as serveStdioEntry, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { Runtime } from '../runtime/index.js';
import { createMcpServer } from '../server/mcp.js';
import { frameFilter } from './frames.js';
import { RawArguments } from './raw-arguments.js';

/** Serves until stdin closes; resolves then. */
export async function serveStdio(runtime: Runtime, agent: string): Promise<void> {
  const identity = await runtime.identity.stdioIdentity(agent, `stdio-${randomUUID()}`);
  const log = runtime.services.logger;
  const raw = new RawArguments();
  // Lines that are not JSON-RPC messages are answered here (the SDK would drop them unanswered).
  const input = process.stdin.pipe(frameFilter((answer) => {
    log.warn({ code: answer.error.code, reason: answer.error.message }, 'answered a malformed MCP message');
    process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...answer })}\n`);
  }, (line, message) => raw.note(message, line)));
  const closed = new Promise<void>((resolve) => {
    process.stdin.once('end', () => resolve());
    process.stdin.once('close', () => resolve());
  });
  // One server per connection, pinned to the era of the opening (and one more, discarded, for a
  // client that probes with server/discover and then falls back to initialize).
  const handle = serveStdioEntry(() => {
    const server = createMcpServer(runtime.services, identity, runtime.policy, raw);
    // A malformed frame must not stop the server: the SDK reports it here and reads on.
    server.onerror = (err) => log.warn({ err: { message: err.message } }, 'ignored a malformed or unexpected MCP message');
    return server;
  }, {
    transport: new StdioServerTransport(input, process.stdout),
    onerror: (err) => log.warn({ err: { message: err.message } }, 'ignored a malformed or unexpected MCP message'),
  });
  log.info({ agent: identity.agent, user: identity.user }, 'serving MCP over stdio');
  await closed;
  await handle.close().catch(() => undefined);
}
