// `mandate serve`: the MCP server over stdio (default) or Streamable HTTP on 127.0.0.1.
import { parseArgs } from 'node:util';
import type { CliIo } from '../io.js';
import { UsageError, println } from '../io.js';
import { loadConfig } from '../../config/load.js';
import { homeRefusal } from '../../config/permissions.js';
import { homeReceiptSigner } from '../../audit/receipt.js';
import { createLogger } from '../../log.js';
import { startRuntime, type Runtime } from '../../runtime/index.js';
import { serveStdio } from '../../transports/stdio.js';
import { DEMO_AGENT } from '../../sandbox/index.js';
import { removeSandboxInfo, writeSandboxInfo } from '../../runtime/sandbox-file.js';
import { tuneHeapForServer } from '../../runtime/heap.js';
import { terminalSafe as t } from '../../terminal.js';

export async function runServe(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      transport: { type: 'string', default: 'stdio' },
      port: { type: 'string' },
      agent: { type: 'string', default: DEMO_AGENT },
      'approvals-port': { type: 'string' },
    },
    strict: true,
  });
  const transport = values.transport;
  if (transport !== 'stdio' && transport !== 'http') throw new UsageError(`--transport must be stdio or http, not ${transport}`);
  // Before anything is read or written: a home others can write to is theirs, not this user's.
  const refusal = homeRefusal(io.home);
  if (refusal) {
    for (const l of refusal.split('\n')) println(io.stderr, `mandate: ${l}`);
    return 1;
  }
  tuneHeapForServer();
  const { config, file } = loadConfig(io.env);
  const logger = createLogger({ service: 'mandate' });
  const port = values.port !== undefined ? Number(values.port) : config.server?.port ?? 8787;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not ${values.port}`);
  const announce = (runtime: Runtime) => {
    for (const n of runtime.notices) println(io.stderr, `mandate: ${t(n, { multiline: true })}`);
    println(io.stderr, `mandate: config ${file ? t(file) : '(none: built-in defaults)'}; state in ${t(io.home)}`);
  };

  if (transport === 'stdio') {
    const runtime = await startRuntime({ home: io.home, config, logger, mcpResource: `urn:mandate:stdio`, configFile: file, lazy: true });
    announce(runtime);
    const stop = async () => { await runtime.close(); process.exit(0); };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await serveStdio(runtime, values.agent!);
    await runtime.close();
    return 0;
  }

  // Imported here so that stdio, where start-up time is felt, does not load them.
  const [{ serveHttp }, { startApprovalUi, consoleOptions, consoleLines }] = await Promise.all([import('../../transports/http.js'), import('../../approvals/web.js')]);
  const handle = await serveHttp((mcpUrl) => startRuntime({ home: io.home, config, logger, mcpResource: mcpUrl, configFile: file }), {
    port,
    allowedOrigins: config.server?.allowedOrigins,
    publicUrls: config.server?.publicUrls,
  });
  announce(handle.runtime);
  if (handle.runtime.sandbox) {
    writeSandboxInfo(io.home, {
      pid: process.pid, issuer: handle.runtime.identity.issuer!, mcpResource: handle.url, baseUrls: handle.runtime.sandbox.baseUrls,
    });
  }
  // The approval console runs beside the HTTP server, so a human can answer `approve` calls;
  // only whoever opens its secret link (or signs in at the configured authorization server) can.
  // Its Activity and Agents views read this server's config (reloaded on edits) and, on a
  // revocation, drop the agent's cached tokens here at once. Each decision is a signed receipt.
  const services = handle.runtime.services;
  const uiOptions = {
    ...(await consoleOptions(config, io.home, async () => handle.runtime.identity.secrets)),
    signer: homeReceiptSigner(io.home),
    console: {
      config: () => services.config,
      onRevoked: (r: { agent: string; tool: string | null }) => services.tokens.invalidate(r.agent, r.tool ? services.toolByName.get(r.tool) : undefined),
    },
  };
  const ui = await startApprovalUi(handle.runtime.services.store, { ...uiOptions, port: values['approvals-port'] !== undefined ? Number(values['approvals-port']) : 8788 })
    .catch(() => startApprovalUi(handle.runtime.services.store, { ...uiOptions, port: 0 }));
  // 2026-07-28 clients are sent here (its address, never its secret link) to approve a call.
  services.approvalConsoleUrl = ui.url;
  const issuer = handle.runtime.identity.issuer;
  println(io.stderr, '');
  println(io.stderr, `Mandate is serving MCP over Streamable HTTP at ${handle.url}`);
  if (issuer) println(io.stderr, `  OAuth authorization server: ${issuer} (clients discover it from ${handle.url.replace('/mcp', '')}/.well-known/oauth-protected-resource/mcp)`);
  if (handle.runtime.sandbox) {
    const b = handle.runtime.sandbox.baseUrls;
    println(io.stderr, `  Sandbox APIs: Slack ${b.slack} · CRM ${b.crm} · Calendar ${b.calendar}`);
  }
  println(io.stderr, '  Connect:');
  println(io.stderr, `    MCP Inspector:  npx @modelcontextprotocol/inspector  → Transport "Streamable HTTP", URL ${handle.url}`);
  println(io.stderr, '    Claude Desktop: mandate install claude (adds the stdio server to its config)');
  const [first, ...more] = consoleLines(ui, io.home);
  println(io.stderr, `    Approvals:      ${first}`);
  for (const l of more) println(io.stderr, `                  ${l}`);
  println(io.stderr, '                    (or: mandate approvals list · mandate approvals approve <id>; without an install: npx -y mandate-mcp approvals list)');
  println(io.stderr, '  Stop with Ctrl-C.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  removeSandboxInfo(io.home);
  await ui.close();
  await handle.close();
  return 0;
}
