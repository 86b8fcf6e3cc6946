// Regression: `mandate serve --transport http` answered 503 for about a second after it began
// listening (the runtime is built after the port is bound, since it needs the MCP URL). A client
// that connects the instant the port accepts must be answered as if the server were ready.
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime } from '../../src/runtime/index.js';
import { serveHttp, type HttpServerHandle } from '../../src/transports/http.js';
import { tempHome } from '../helpers/cli.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function firstAccept(port: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setImmediate(r));
  }
}

let handle: HttpServerHandle | undefined;
afterAll(async () => { await handle?.close(); });

describe('HTTP transport start-up', () => {
  it('holds requests that arrive before the runtime is ready instead of answering 503', async () => {
    process.env.MANDATE_SECRETS ??= 'file';
    const { home } = tempHome({});
    const port = await freePort();
    let runtimeReady = false;
    const starting = serveHttp(async (mcpUrl) => {
      const r = await startRuntime({ home, config: parseConfig({}), logger: silentLogger(), mcpResource: mcpUrl });
      runtimeReady = true;
      return r;
    }, { port });
    await firstAccept(port);
    expect(runtimeReady).toBe(false); // the requests below really arrive early
    const base = `http://127.0.0.1:${port}`;
    const [metadata, mcp] = await Promise.all([
      fetch(`${base}/.well-known/oauth-protected-resource/mcp`),
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
      }),
    ]);
    handle = await starting;
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { authorization_servers: string[] }).authorization_servers).toHaveLength(1);
    expect(mcp.status).toBe(401); // ready and asking for a token, not "starting"
    expect(mcp.headers.get('www-authenticate')).toContain('resource_metadata=');
  });
});
