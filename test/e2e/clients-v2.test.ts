// The SDK v2 Client against Mandate on both revisions and both transports: 2026-07-28
// (stateless, server/discover) and 2025-11-25 (initialize, sessions), over stdio and over
// Streamable HTTP at the same URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { CLI, sc, tempHome } from '../helpers/cli.js';
import { bearerFor, startHttpMandate, type HttpMandate } from '../helpers/http.js';

const ERAS = [['2026-07-28', { mode: { pin: '2026-07-28' } }], ['2025-11-25', { mode: 'legacy' }]] as const;

async function exercise(client: Client, version: string) {
  expect(client.getNegotiatedProtocolVersion()).toBe(version);
  const { tools } = await client.listTools();
  expect(tools.length).toBeGreaterThan(10);
  const who = sc(await client.callTool({ name: 'mandate_whoami', arguments: {} }));
  expect(who.agent).toBe('demo-agent');
  const bad = await client.callTool({ name: 'slack_read_history', arguments: { channel: 42 } });
  expect(sc(bad).error.code).toBe('invalid_arguments');
}

describe('over Streamable HTTP', () => {
  let m: HttpMandate;
  let token: string;
  beforeAll(async () => { m = await startHttpMandate(); token = await bearerFor(m); });
  afterAll(async () => { await m?.close(); });

  it.each(ERAS)('MCP26-DISCOVER: the v2 Client on %s lists and calls tools', async (version, versionNegotiation) => {
    const client = new Client({ name: 'mandate-e2e-v2', version: '1.0.0' }, { versionNegotiation: versionNegotiation as never });
    await client.connect(new StreamableHTTPClientTransport(new URL(m.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    await exercise(client, version);
    await client.close();
  });

  it('the v2 Client in auto mode picks 2026-07-28', async () => {
    const client = new Client({ name: 'mandate-e2e-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(m.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    expect(client.getProtocolEra()).toBe('modern');
    await client.close();
  });
});

describe('over stdio', () => {
  const { env } = tempHome();
  it.each(ERAS)('the v2 Client on %s lists and calls tools', async (version, versionNegotiation) => {
    const client = new Client({ name: 'mandate-e2e-v2', version: '1.0.0' }, { versionNegotiation: versionNegotiation as never });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve'], env: env as Record<string, string>, stderr: 'ignore' }));
    await exercise(client, version);
    await client.close();
  }, 30_000);
});
