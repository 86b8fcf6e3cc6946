// `npm run bench -- --deployment [--postgres URL] [--quick]`: a team deployment's throughput
// and latency, from one run: one instance on SQLite, then one and three instances on one
// PostgreSQL database (`--postgres`, else MANDATE_TEST_POSTGRES), each behind a sticky
// balancer (by Mcp-Session-Id) with the embedded authorization server shared through the
// store. 30 sessions call a 9-reads-to-1-write mix against the sandbox's APIs (in this
// process) for a fixed time; each call is timed end to end. Writes bench/deployment.json.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pg from 'pg';
import { openSecretStore } from '../src/secrets/index.js';
import { SECRET_ACCOUNTS } from '../src/runtime/identity.js';
import { startSandbox } from '../src/sandbox/index.js';
import { sandboxTokenVerifier } from '../src/authz/index.js';
import { RESOURCES, type UpstreamProvider } from '../src/resources.js';
import { p50p99, round, row } from './lib/stats.js';

const argv = process.argv;
const QUICK = argv.includes('--quick');
const PG_URL = (argv.includes('--postgres') ? argv[argv.indexOf('--postgres') + 1] : undefined) ?? process.env.MANDATE_TEST_POSTGRES;
const SESSIONS = 30;
const SECONDS = QUICK ? 5 : 15;
const ROOT = path.resolve(import.meta.dirname, '../..');
const INSTANCE = path.join(import.meta.dirname, 'instance.js');
const RESULTS = path.join(ROOT, 'bench/deployment.json');
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

const MIX = [
  { name: 'slack_read_history', arguments: { channel: 'C0GENERAL1', limit: 20 } },
  { name: 'crm_search_contacts', arguments: { query: 'a', limit: 10 } },
  { name: 'calendar_list_events', arguments: { limit: 20 } },
];
const mixCall = (n: number) => (n % 10 === 9 ? { name: 'slack_post_message', arguments: { channel: 'C0SUPUPD05', text: `bench ${n}` } } : MIX[n % 3]!);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A balancer: new MCP sessions round-robin, then sticky by Mcp-Session-Id; other requests round-robin. */
function balancer(ports: number[]): http.Server {
  const owner = new Map<string, number>();
  let next = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return http.createServer((req, res) => {
    const sid = req.headers['mcp-session-id'];
    const i = (typeof sid === 'string' ? owner.get(sid) : undefined) ?? next++ % ports.length;
    const up = http.request({ host: '127.0.0.1', port: ports[i], method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
      const s = r.headers['mcp-session-id'];
      if (typeof s === 'string') owner.set(s, i);
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502).end(); else res.destroy(); });
    req.pipe(up);
  });
}

interface Figures { setup: string; instances: number; store: 'sqlite' | 'postgres'; calls: number; errors: number; calls_per_s: number; p50_ms: number; p99_ms: number; cpu_s_per_instance: number; driver_cpu: number }

/** CPU seconds (user + system) a process has used so far. */
function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function runSetup(work: string, setup: string, n: number, store: string): Promise<Figures> {
  const children: ChildProcess[] = [];
  const servers: http.Server[] = [];
  const mcpPort = await freePort();
  const authzPort = await freePort();
  const url = `http://127.0.0.1:${mcpPort}/mcp`;
  const issuer = `http://127.0.0.1:${authzPort}`;
  const ports = await Promise.all(Array.from({ length: n }, freePort));
  const authzPorts = await Promise.all(Array.from({ length: n }, freePort));
  const verifier = (p: UpstreamProvider) => sandboxTokenVerifier({ issuer, jwksUri: `${issuer}/jwks`, audience: RESOURCES[p], isJtiRevoked: async () => false });
  const sandbox = await startSandbox({ slack: verifier('slack'), crm: verifier('crm'), calendar: verifier('calendar') });
  try {
    for (const [server, port] of [[balancer(ports), mcpPort], [balancer(authzPorts), authzPort]] as const) {
      servers.push(server);
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    }
    const dir = path.join(work, setup);
    for (let i = 0; i < n; i++) {
      const config = {
        providers: { slack: { baseUrl: sandbox.baseUrls.slack }, crm: { baseUrl: sandbox.baseUrls.crm }, calendar: { baseUrl: sandbox.baseUrls.calendar } },
        approvals: { waitSeconds: 0 },
        agents: { 'demo-agent': { tools: { '*': 'allow' } } },
        server: { authzPublicUrl: issuer, authzPort: authzPorts[i] },
      };
      const child = spawn(process.execPath, [INSTANCE], {
        env: { ...process.env, MANDATE_HOME: path.join(dir, `home-${i}`), MANDATE_SECRETS: 'file', MANDATE_STORE: store, MANDATE_STORE_KEY: 'bench-store-key', PORT: String(ports[i]), PUBLIC_URL: url, INSTANCE_CONFIG: JSON.stringify(config) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let err = '';
      child.stderr!.on('data', (d) => { err += String(d); });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => { if (String(d).includes('READY')) resolve(); });
        child.once('exit', (code) => reject(new Error(`${setup}: instance ${i} exited ${code}: ${err.slice(-1500)}`)));
      });
    }
    const secrets = await openSecretStore({ home: path.join(dir, 'home-0'), env: { MANDATE_SECRETS: 'file' } });
    const rt = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.delegation('demo-agent'));
    const secret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client('demo-agent'));
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`demo-agent:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt!, resource: url }),
    });
    const bearer = String(((await res.json()) as { access_token?: string }).access_token);
    const clients = await Promise.all(Array.from({ length: SESSIONS }, async () => {
      const c = new Client({ name: 'mandate-bench', version: '1.0.0' });
      await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
      return c;
    }));
    // Warm-up (token exchanges, JIT), then the timed window.
    await Promise.all(clients.map((c, s) => Promise.all([0, 1, 2, 9].map((k) => c.callTool(mixCall(s * 10 + k))))));
    const cpu0 = children.map((c) => cpuSecondsOf(c.pid!));
    const driver0 = process.cpuUsage();
    const samples: number[] = [];
    let errors = 0;
    let k = 0;
    const t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    await Promise.all(clients.map(async (c) => {
      while (performance.now() < end) {
        const s = performance.now();
        const r = await c.callTool(mixCall(k++)).catch(() => ({ isError: true }));
        samples.push(performance.now() - s);
        if (r.isError) errors++;
      }
    }));
    const wall = (performance.now() - t0) / 1000;
    const cpu = children.map((c, i) => cpuSecondsOf(c.pid!) - cpu0[i]!);
    const driver = process.cpuUsage(driver0);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    const { p50, p99 } = p50p99(samples);
    return {
      setup, instances: n, store: store === 'sqlite' ? 'sqlite' : 'postgres', calls: samples.length, errors,
      calls_per_s: round(samples.length / wall, 0), p50_ms: round(p50, 1), p99_ms: round(p99, 1),
      cpu_s_per_instance: round(cpu.reduce((a, b) => a + b, 0) / n / wall, 2),
      // This process: the client sessions, both balancers and the sandbox's APIs.
      driver_cpu: round((driver.user + driver.system) / 1e6 / wall, 2),
    };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    for (const s of servers) { s.closeAllConnections(); s.close(); }
    await sandbox.close();
  }
}

export async function runDeploymentBench(): Promise<Figures[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-bench-deploy-'));
  const schema = `bench_${process.pid}`;
  const out: Figures[] = [];
  try {
    log(`deployment: ${SESSIONS} sessions, ${SECONDS} s per setup; ${os.cpus().length} cores`);
    out.push(await runSetup(work, 'sqlite-1', 1, 'sqlite'));
    if (!PG_URL) log('no PostgreSQL URL (--postgres URL or MANDATE_TEST_POSTGRES): the PostgreSQL setups are skipped');
    else {
      const store = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
      out.push(await runSetup(work, 'postgres-1', 1, store));
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
      out.push(await runSetup(work, 'postgres-3', 3, store));
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    if (PG_URL) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await c.end();
    }
  }
  const widths = [12, 10, 8, 7, 9, 8, 8, 14, 11];
  process.stdout.write(`${row(['setup', 'instances', 'calls', 'errors', 'calls/s', 'p50 ms', 'p99 ms', 'cpu/instance', 'driver cpu'], widths)}\n`);
  for (const f of out) process.stdout.write(`${row([f.setup, String(f.instances), String(f.calls), String(f.errors), String(f.calls_per_s), String(f.p50_ms), String(f.p99_ms), String(f.cpu_s_per_instance), String(f.driver_cpu)], widths)}\n`);
  fs.writeFileSync(RESULTS, `${JSON.stringify({ sessions: SESSIONS, seconds: SECONDS, cores: os.cpus().length, load: os.loadavg().map((x) => round(x, 2)), setups: out }, null, 2)}\n`);
  return out;
}
