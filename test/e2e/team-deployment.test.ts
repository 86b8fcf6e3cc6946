// Three Mandate instances on one PostgreSQL store behind one URL (issue 14): a small proxy in
// the test routes new MCP sessions round-robin and keeps each session on its instance (sticky
// routing, as the README's Deployment section asks). Sessions × calls run through it while an
// approval granted through one instance is consumed through another exactly once, a
// revocation made through one reaches every instance within a second, and one instance is
// killed with SIGKILL mid-load: no call lost or run twice, and one chain that verifies.
// Scaled down by default; MANDATE_TEST_FULL=1 runs the 50 sessions × 200 calls.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { verifyStore } from '../../src/audit/verify.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { SECRET_ACCOUNTS } from '../../src/runtime/identity.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { sandboxTokenVerifier } from '../../src/authz/index.js';
import { RESOURCES, type UpstreamProvider } from '../../src/resources.js';
import { MANDATE, startTestAuthz, subjectToken, type TestAuthz } from '../authz/helpers.js';
import { connectHttp } from '../helpers/http.js';
import { PG_SKIP, PG_URL, freshSchema } from '../store/backends.js';

const FULL = process.env.MANDATE_TEST_FULL === '1';
const SESSIONS = FULL ? 50 : 6;
const CALLS = FULL ? 200 : 15;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Round-robin for new sessions, sticky by mcp-session-id after; an instance that is down is skipped. */
function stickyProxy(ports: number[], alive: (i: number) => boolean) {
  const owner = new Map<string, number>();
  let next = 0;
  return http.createServer((req, res) => {
    const sid = req.headers['mcp-session-id'];
    let i = typeof sid === 'string' ? owner.get(sid) : undefined;
    if (i === undefined) {
      do i = next++ % ports.length; while (!alive(i));
    }
    const target = i;
    const up = http.request({ host: '127.0.0.1', port: ports[target], method: req.method, path: req.url, headers: req.headers }, (r) => {
      const s = r.headers['mcp-session-id'];
      if (typeof s === 'string') owner.set(s, target);
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502).end(); else res.destroy(); });
    req.pipe(up);
  });
}

const sc = (r: unknown) => (r as { structuredContent?: Record<string, any> }).structuredContent ?? {};
const callIdOf = (r: unknown) => (r as { _meta?: Record<string, string> })._meta?.['mandate/call_id'];

describe.skipIf(!PG_URL)('team deployment: three instances, one PostgreSQL store, one URL', () => {
  const schema = freshSchema('team');
  const storeUrl = `${PG_URL}?schema=${schema}`;
  const children: ChildProcess[] = [];
  const alive = [true, true, true];
  const ports: number[] = [];
  const homes: string[] = [];
  let as: TestAuthz;
  let sandbox: Sandbox;
  let proxy: http.Server;
  let url: string;
  let store: PostgresStore;
  let token: string;
  let script = '';

  beforeAll(async () => {
    const proxyPort = await freePort();
    url = `http://127.0.0.1:${proxyPort}/mcp`;
    as = await startTestAuthz({ mcpResource: url });
    const verifier = (p: UpstreamProvider) => sandboxTokenVerifier({ issuer: as.authz.issuer, jwksUri: as.authz.jwksUri, audience: RESOURCES[p], isJtiRevoked: async () => false });
    sandbox = await startSandbox({ slack: verifier('slack'), crm: verifier('crm'), calendar: verifier('calendar') });
    store = await openPostgresStore({ url: PG_URL!, schema, poolSize: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'mandate-team-'));
    homes.push(dir);
    // Bundled inside the repository so its packages resolve from node_modules.
    script = join(process.cwd(), 'node_modules', '.cache', `mandate-instance-${process.pid}.mjs`);
    await build({ entryPoints: ['test/e2e/fixtures/instance.ts'], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: script, logLevel: 'silent' });
    const config = JSON.stringify({
      authorizationServer: { issuer: as.authz.issuer, clientId: MANDATE.id },
      providers: { slack: { baseUrl: sandbox.baseUrls.slack }, crm: { baseUrl: sandbox.baseUrls.crm }, calendar: { baseUrl: sandbox.baseUrls.calendar } },
      approvals: { waitSeconds: 0 },
      agents: { 'demo-agent': { tools: { '*': 'allow', slack_post_message: 'approve' } } },
    });
    for (let i = 0; i < 3; i++) {
      const home = join(dir, `home-${i}`);
      const secrets = await openSecretStore({ home, env: { MANDATE_SECRETS: 'file' } });
      await secrets.setPassword(secrets.service, SECRET_ACCOUNTS.client(MANDATE.id), MANDATE.secret);
      ports.push(await freePort());
      const child = spawn(process.execPath, [script], {
        cwd: process.cwd(),
        env: { ...process.env, MANDATE_HOME: home, MANDATE_SECRETS: 'file', MANDATE_STORE: storeUrl, MANDATE_STORE_KEY: 'team-test-key', PORT: String(ports[i]), PUBLIC_URL: url, INSTANCE_CONFIG: config },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let err = '';
      child.stderr!.on('data', (d) => { err += String(d); });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => { if (String(d).includes('READY')) resolve(); });
        child.once('exit', (code) => reject(new Error(`instance ${i} exited ${code}: ${err.slice(-2000)}`)));
      });
      child.once('exit', () => { alive[i] = false; });
    }
    proxy = stickyProxy(ports, (i) => alive[i]!);
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r));
    token = (await subjectToken(as.authz)).token;
  }, 120_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
    await store?.close();
    await sandbox?.close();
    await as?.close();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
    if (script) rmSync(script, { force: true });
    const pg = await import('pg');
    const c = new pg.default.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });

  it('an approval granted through one instance is consumed through another exactly once', async () => {
    const a = await connectHttp(url, token);
    const b = await connectHttp(url, token);
    const args = { channel: '#support-updates', text: 'team deployment approval' };
    const first = sc(await a.callTool({ name: 'slack_post_message', arguments: args }));
    expect(first.error.code).toBe('approval_pending');
    await store.decideApproval(first.error.approval_id, { decision: 'approved', approver: 'dana', channel: 'cli' });
    const runs = await Promise.all([b, b, a].map((c) => c.callTool({ name: 'slack_post_message', arguments: args })));
    const ok = runs.filter((r) => !r.isError);
    expect(ok).toHaveLength(1);
    expect((await store.getApproval(first.error.approval_id))!.status).toBe('used');
    await a.close();
    await b.close();
  });

  it('a revocation made through one instance reaches every instance within one second', async () => {
    const direct = await Promise.all(ports.map((p) => connectHttp(`http://127.0.0.1:${p}/mcp`, token)));
    const heard = direct.map(() => 0);
    direct.forEach((c, i) => c.setNotificationHandler(ToolListChangedNotificationSchema, async () => { heard[i]!++; }));
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await store.revoke({ agent: 'demo-agent', tool: 'crm_get_deal', by: 'dana' });
    while (heard.some((n) => n === 0) && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 20));
    expect(heard.every((n) => n > 0)).toBe(true);
    for (const c of direct) {
      // Revoking one capability refuses that tool on every instance's next call.
      const r = sc(await c.callTool({ name: 'crm_get_deal', arguments: { deal_id: '1' } }));
      expect(r.error?.code).toBe('capability_denied');
      await c.close();
    }
  });

  it(`${SESSIONS} sessions × ${CALLS} calls with one instance killed (SIGKILL) mid-load: nothing lost or run twice, one chain`, async () => {
    const done: string[] = [];
    let failed = 0;
    let killed = false;
    const total = SESSIONS * CALLS;
    // Until the proxy sees the killed instance's exit, a new session may still land on it: try again.
    const reconnect = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await connectHttp(url, token);
        } catch (err) {
          if (attempt >= 10) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const session = async (s: number) => {
      let client = await connectHttp(url, token);
      for (let i = 0; i < CALLS; i++) {
        if (!killed && done.length + failed >= total / 3) {
          killed = true;
          children[2]!.kill('SIGKILL');
        }
        try {
          const r = await client.callTool({ name: 'slack_list_channels', arguments: {} });
          if (r.isError) failed++;
          else done.push(callIdOf(r)!);
        } catch {
          // The session's instance died: a new session lands on a live one.
          failed++;
          await client.close().catch(() => undefined);
          client = await reconnect();
        }
        void s;
      }
      await client.close();
    };
    await Promise.all(Array.from({ length: SESSIONS }, (_, s) => session(s)));
    expect(killed).toBe(true);
    expect(done.length).toBeGreaterThan(total / 2);
    const executed = await store.readAudit({ event: 'executed' });
    const count = new Map<string, number>();
    for (const r of executed) count.set(r.call_id!, (count.get(r.call_id!) ?? 0) + 1);
    for (const id of done) expect(count.get(id)).toBe(1);
    expect([...count.values()].every((n) => n === 1)).toBe(true);
    expect(await verifyStore(store)).toMatchObject({ ok: true });
  }, 300_000);
});

if (!PG_URL) {
  describe('team deployment: three instances, one PostgreSQL store, one URL', () => {
    it.skip(PG_SKIP, () => undefined);
  });
}
