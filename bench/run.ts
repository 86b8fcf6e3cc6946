// `npm run bench [-- --quick]`: what the guard costs, measured in one run against a bare
// SDK server on the same sandbox. One server process (host.ts) starts the sandbox, the
// embedded authorization server and Mandate once, beside the bare baselines; the SDK's Client
// drives both, interleaved (latency over stdio and HTTP, 50-session throughput, cold token
// exchanges), on both protocol revisions: 2025-11-25 (sessions; the v1 Client against a bare
// v1 McpServer) and 2026-07-28 (stateless; the v2 Client against a bare v2 McpServer, see
// bare-modern.ts). Mandate serves both at its one URL. Then: peak memory of `mandate serve --transport http` itself (the sandbox inside,
// as `npm start` runs it), of the same configured for real accounts (Mandate alone: the
// identity provider and the APIs in this process, see standalone.ts) and of the bare server
// alone under the same load, cold start of `mandate serve` (stdio), the audit trail
// (appends, verify over 100,000 records). Prints a table and writes bench/results.json.
// Loopback only, temp dirs only, every phase bounded in time; it stops by itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHTTPClientTransport } from '@modelcontextprotocol/client';
import { SocketClientTransport } from './lib/socket-transport.js';
import { median, p50p99, round, row } from './lib/stats.js';
import { BENCH_CONFIG, type HostInfo, type HostReply, type HostRequest } from './lib/protocol.js';
import { openSecretStore } from '../src/secrets/index.js';
import { SECRET_ACCOUNTS } from '../src/runtime/identity.js';
import { runAuditBench, type AuditFigures } from './audit.js';
import { startStandaloneMandate } from './standalone.js';

const QUICK = process.argv.includes('--quick');
// Counts are upper bounds; every phase also stops at its time budget (seconds), so a busy
// machine gives fewer samples rather than a longer run.
const P = QUICK
  ? { warmup: 300, warmupBudget: 5, latencyCalls: 3000, latencyBudget: 15, sessions: 50, roundSeconds: 3, warmRoundSeconds: 2, rounds: 2, exchanges: 100, coldStarts: 5, auditSerial: 400, auditConcurrent: 2000, deadlineMs: 120_000 }
  : { warmup: 1000, warmupBudget: 10, latencyCalls: 10_000, latencyBudget: 75, sessions: 50, roundSeconds: 10, warmRoundSeconds: 3, rounds: 3, exchanges: 300, coldStarts: 11, auditSerial: 2000, auditConcurrent: 10_000, deadlineMs: 600_000 };
const VERIFY_RECORDS = 100_000;

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/mandate.js');
const HOST = path.join(import.meta.dirname, 'host.js');
const RESULTS = path.join(ROOT, 'bench/results.json');

const READ = { name: 'slack_read_history', arguments: { channel: 'C0GENERAL1', limit: 20 } };
/** The throughput mix: 9 reads for every write, the reads spread over the three providers. */
const MIX_READS = [
  READ,
  { name: 'crm_search_contacts', arguments: { query: 'a', limit: 10 } },
  { name: 'calendar_list_events', arguments: { limit: 20 } },
];
const mixCall = (n: number) =>
  n % 10 === 9
    ? { name: 'slack_post_message', arguments: { channel: 'C0SUPUPD05', text: `bench write ${n}` } }
    : MIX_READS[n % 3]!;

const startedAt = performance.now();
const log = (s: string) => process.stderr.write(`bench: [${Math.round((performance.now() - startedAt) / 1000)} s] ${s}\n`);

/** Every server process this run started and that still runs: killed if the run fails or overruns. */
const children = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}

// ------------------------------------------------------------------ the server process

interface Host {
  child: ChildProcess;
  info: HostInfo;
  call(cmd: HostRequest['cmd'], extra?: Partial<HostRequest>): Promise<unknown>;
  stderr(): string;
}

async function startHost(work: string, only?: 'bare'): Promise<Host> {
  // BENCH_HOST_NODE_ARGS passes node flags to the server process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const nodeArgs = (process.env.BENCH_HOST_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = track(spawn(process.execPath, [...nodeArgs, HOST], {
    env: {
      ...process.env, BENCH_HOME: path.join(work, only ? `home-${only}` : 'home'), BENCH_LOG: path.join(work, only ? `server-${only}.log` : 'server.log'),
      MANDATE_SECRETS: 'file', MANDATE_LOG_LEVEL: 'info', ...(only ? { BENCH_ONLY: only } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'ipc'],
  }));
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const info = await new Promise<HostInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server process did not start within 60 s\n${stderr}`)), 60_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the server process exited (${code})\n${stderr}`)); });
    child.on('message', (m: { ready?: HostInfo } & Partial<HostReply>) => {
      if (m.ready) { clearTimeout(timer); resolve(m.ready); return; }
      const p = pending.get(m.id!);
      if (!p) return;
      pending.delete(m.id!);
      if (m.ok) p.resolve((m as { result: unknown }).result);
      else p.reject(new Error((m as { error: string }).error));
    });
  });
  child.once('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`the server process exited (${code})\n${stderr}`));
    pending.clear();
  });
  return {
    child,
    info,
    stderr: () => stderr,
    call: (cmd, extra = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, ...extra } satisfies HostRequest);
      }),
  };
}

/** Resident set of a process from /proc: current and peak (VmHWM), in MiB. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Per-tool tokens the authorization server issued so far, read from the server's log. */
function exchangesLogged(logFile: string): number {
  const text = fs.readFileSync(logFile, 'utf8');
  return text.split('"event":"token_exchange"').length - 1;
}

// ------------------------------------------------------------------ clients

/** The protocol revisions measured over HTTP: 2025-11-25 with sessions, 2026-07-28 stateless. */
type Revision = '2025-11-25' | '2026-07-28';
const MODERN = '2026-07-28' satisfies Revision;

type ToolRequest = { name: string; arguments: Record<string, unknown> };
type ToolResult = { isError?: boolean; structuredContent?: unknown; content?: unknown };

/** One connected client, whichever SDK and revision: a tool call, and the way to hang up. */
interface Session {
  callTool(req: ToolRequest): Promise<ToolResult>;
  close(): Promise<void>;
}

/** A 2025-11-25 session through the v1 Client; closing it terminates the session at the server. */
async function legacyHttpSession(url: string, bearer: string): Promise<Session> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } });
  const client = new Client({ name: 'mandate-bench', version: '1.0.0' });
  await client.connect(transport);
  return {
    callTool: (req) => client.callTool(req) as Promise<ToolResult>,
    async close() {
      await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}

/** The v2 Client pinned to 2026-07-28: `server/discover` once, then every call a stateless POST with its `_meta` envelope. */
async function modernHttpSession(url: string, bearer: string): Promise<Session> {
  const client = new ModernClient({ name: 'mandate-bench', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  await client.connect(new ModernHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
  if (client.getNegotiatedProtocolVersion() !== MODERN) throw new Error(`${url} did not agree on ${MODERN}`);
  return {
    callTool: (req) => client.callTool(req) as Promise<ToolResult>,
    close: () => client.close().catch(() => undefined),
  };
}

const httpSession = (url: string, bearer: string, revision: Revision): Promise<Session> =>
  revision === MODERN ? modernHttpSession(url, bearer) : legacyHttpSession(url, bearer);

async function socketSession(socket: Duplex): Promise<Session> {
  const client = new Client({ name: 'mandate-bench', version: '1.0.0' });
  await client.connect(new SocketClientTransport(socket));
  return { callTool: (req) => client.callTool(req) as Promise<ToolResult>, close: () => client.close().catch(() => undefined) };
}

/** One tools/call; throws on an error result, so a failing call never counts as a fast one. */
async function call(session: Session, req: ToolRequest): Promise<void> {
  const r = await session.callTool(req);
  if (r.isError) throw new Error(`${req.name} failed: ${JSON.stringify(r.structuredContent ?? r.content).slice(0, 300)}`);
}

// ------------------------------------------------------------------ phases

/** `http` is 2025-11-25 (the key results.json has always used); `http-2026-07-28` the stateless revision. */
type Channel = 'stdio' | 'http' | 'http-2026-07-28';
type Target = { transport: Channel; server: 'guarded' | 'bare'; client: Session };

async function latencyPhase(targets: Target[]): Promise<{ samples: Record<string, number[]>; warmups: number }> {
  const warmEnd = performance.now() + P.warmupBudget * 1000;
  let warmups = 0;
  for (; warmups < P.warmup && performance.now() < warmEnd; warmups++) for (const t of targets) await call(t.client, READ);
  const samples: Record<string, number[]> = Object.fromEntries(targets.map((t) => [`${t.transport}/${t.server}`, []]));
  // Interleaved, with the order rotating, so drift and ordering hit every target alike.
  const end = performance.now() + P.latencyBudget * 1000;
  for (let i = 0; i < P.latencyCalls && performance.now() < end; i++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(i + k) % targets.length]!;
      const t0 = performance.now();
      await call(t.client, READ);
      samples[`${t.transport}/${t.server}`]!.push(performance.now() - t0);
    }
  }
  return { samples, warmups };
}

interface Round { calls: number; seconds: number; serverCpu: number; peakRss: number }

async function throughputRound(url: string, bearer: string, pid: number, roundSeconds = P.roundSeconds, revision: Revision = '2025-11-25'): Promise<Round> {
  const clients = await Promise.all(Array.from({ length: P.sessions }, () => httpSession(url, bearer, revision)));
  let peakRss = memoryOf(pid).rss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, memoryOf(pid).rss); }, 20);
  const cpu0 = cpuSecondsOf(pid);
  const t0 = performance.now();
  const end = t0 + roundSeconds * 1000;
  let calls = 0;
  try {
    // Each session calls back to back until the round's time is up; calls in flight then finish.
    await Promise.all(clients.map(async (c, s) => {
      for (let j = 0; performance.now() < end; j++) {
        await call(c, mixCall(s * 100_000 + j));
        calls++;
      }
    }));
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - t0) / 1000;
  const serverCpu = (cpuSecondsOf(pid) - cpu0) / seconds;
  peakRss = Math.max(peakRss, memoryOf(pid).rss);
  await Promise.all(clients.map((c) => c.close()));
  return { calls, seconds, serverCpu, peakRss };
}

/** `mandate serve --transport http` itself (sandbox inside, logs to a file), and a bearer token for it. */
async function startCliHttp(work: string): Promise<{ child: ChildProcess; url: string; bearer: string }> {
  const home = path.join(work, 'cli-home');
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(BENCH_CONFIG));
  const logFile = path.join(work, 'cli-server.log');
  const logFd = fs.openSync(logFile, 'a');
  const env: NodeJS.ProcessEnv = { ...process.env, MANDATE_HOME: home, MANDATE_SECRETS: 'file', MANDATE_LOG_LEVEL: 'info' };
  delete env.MANDATE_CONFIG;
  const child = track(spawn(process.execPath, [CLI, 'serve', '--transport', 'http', '--port', '0', '--approvals-port', '0'], { env, stdio: ['ignore', 'ignore', logFd] }));
  fs.closeSync(logFd);
  const url = await new Promise<string>((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const m = /serving MCP over Streamable HTTP at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(fs.readFileSync(logFile, 'utf8'));
      if (m) { clearInterval(timer); resolve(m[1]!); }
      else if (child.exitCode !== null || Date.now() - started > 60_000) { clearInterval(timer); reject(new Error(`mandate serve --transport http did not start:\n${fs.readFileSync(logFile, 'utf8')}`)); }
    }, 20);
  });
  // The agent's bearer token, as a headless agent gets one: its delegation redeemed with its own credentials.
  const secrets = await openSecretStore({ home, env: { MANDATE_SECRETS: 'file' } });
  const refreshToken = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.delegation('demo-agent'));
  const clientSecret = await secrets.getPassword(secrets.service, SECRET_ACCOUNTS.client('demo-agent'));
  const meta = (await (await fetch(new URL('/.well-known/oauth-protected-resource/mcp', url))).json()) as { authorization_servers: string[] };
  const res = await fetch(`${meta.authorization_servers[0]}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`demo-agent:${clientSecret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '', resource: url }),
  });
  const bearer = ((await res.json()) as { access_token?: string }).access_token;
  if (!bearer) throw new Error(`no bearer token for the CLI server (HTTP ${res.status})`);
  return { child, url, bearer };
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/** Process spawn to the tools/list answer, over stdio, for `mandate serve` in `home`. */
async function coldStart(home: string): Promise<{ ms: number; tools: number }> {
  const env = { ...process.env, MANDATE_HOME: home } as Record<string, string>;
  delete env.MANDATE_CONFIG;
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve'], env, stderr: 'ignore' });
  const client = new Client({ name: 'mandate-bench', version: '1.0.0' });
  const t0 = performance.now();
  await client.connect(transport);
  const { tools } = await client.listTools();
  const ms = performance.now() - t0;
  const exited = new Promise<void>((resolve) => { transport.onclose = () => resolve(); });
  await client.close();
  await exited;
  return { ms, tools: tools.length };
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  if (process.argv.includes('--deployment')) {
    const { runDeploymentBench } = await import('./deployment.js');
    await runDeploymentBench();
    return;
  }
  const started = Date.now();
  const loadStart = os.loadavg().map((x) => round(x, 2));
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-bench-'));
  const logFile = path.join(work, 'server.log');
  let host: Host | undefined;
  const deadline = setTimeout(() => {
    log(`deadline of ${P.deadlineMs / 1000} s passed: stopping`);
    killAll();
    fs.rmSync(work, { recursive: true, force: true });
    process.exit(1);
  }, P.deadlineMs);
  deadline.unref();
  try {
    log(`${QUICK ? 'quick' : 'full'} run; work dir ${work}`);
    host = await startHost(work);
    const { info } = host;
    const pid = info.pid;

    // -- guard overhead: the same read through each server, stdio, HTTP on 2025-11-25 and HTTP on 2026-07-28.
    const targets: Target[] = [
      { transport: 'stdio', server: 'guarded', client: await socketSession(host.child.stdio[3] as Duplex) },
      { transport: 'stdio', server: 'bare', client: await socketSession(host.child.stdio[4] as Duplex) },
      { transport: 'http', server: 'guarded', client: await legacyHttpSession(info.guardedUrl, info.bearer) },
      { transport: 'http', server: 'bare', client: await legacyHttpSession(info.bareUrl, info.bearer) },
      { transport: 'http-2026-07-28', server: 'guarded', client: await modernHttpSession(info.guardedUrl, info.bearer) },
      { transport: 'http-2026-07-28', server: 'bare', client: await modernHttpSession(info.bareModernUrl, info.bearer) },
    ];
    log(`latency: warm-up, then up to ${P.latencyCalls} interleaved calls per target (at most ${P.latencyBudget} s)`);
    const auditBefore = ((await host.call('counts')) as { audit: number }).audit;
    const { samples: lat, warmups: warmupCalls } = await latencyPhase(targets);
    const auditAfter = ((await host.call('counts')) as { audit: number }).audit;
    await Promise.all(targets.filter((t) => t.transport !== 'stdio').map((t) => t.client.close()));
    const pct = Object.fromEntries(Object.entries(lat).map(([k, v]) => [k, p50p99(v)]));
    const overhead = (tr: Channel) => ({
      p50: pct[`${tr}/guarded`]!.p50 - pct[`${tr}/bare`]!.p50,
      p99: pct[`${tr}/guarded`]!.p99 - pct[`${tr}/bare`]!.p99,
      pairedP50: median(lat[`${tr}/guarded`]!.map((g, i) => g - lat[`${tr}/bare`]![i]!)),
    });
    const over = { stdio: overhead('stdio'), http: overhead('http'), 'http-2026-07-28': overhead('http-2026-07-28') };
    const guardedCalls = targets.filter((t) => t.server === 'guarded').length * (lat['stdio/guarded']!.length + warmupCalls);

    // -- throughput: 50 sessions, 90 % reads / 10 % allowed writes, guarded and bare alternating,
    // on each revision (the revisions alternating too).
    log(`throughput: a ${P.warmRoundSeconds} s warm-up round each, then ${P.rounds} rounds of ${P.roundSeconds} s × ${P.sessions} sessions, guarded and bare alternating, on 2025-11-25 and 2026-07-28`);
    let lookups = 0;
    let exchanges = 0;
    /** A guarded round, its token lookups and exchanges counted for the cache hit rate. */
    const guardedRound = async (revision: Revision, seconds?: number) => {
      const before = (await host!.call('counts')) as { upstreamRequests: Record<string, number> };
      const x0 = exchangesLogged(logFile);
      const round = await throughputRound(info.guardedUrl, info.bearer, pid, seconds, revision);
      const after = (await host!.call('counts')) as { upstreamRequests: Record<string, number> };
      exchanges += exchangesLogged(logFile) - x0;
      for (const k of Object.keys(after.upstreamRequests)) lookups += after.upstreamRequests[k]! - before.upstreamRequests[k]!;
      return round;
    };
    // Not counted in calls/s: the latency phase warmed one session per server, not 50 at once;
    // the first concurrent round of each ran partly unoptimized code (about 10 % slower for the
    // guarded one). Its token lookups count: the cache's first exchanges happen here.
    const bareUrl = (revision: Revision) => (revision === MODERN ? info.bareModernUrl : info.bareUrl);
    for (const revision of ['2025-11-25', MODERN] as const) {
      await guardedRound(revision, P.warmRoundSeconds);
      await throughputRound(bareUrl(revision), info.bearer, pid, P.warmRoundSeconds, revision);
    }
    type Rounds = { guarded: Round[]; bare: Round[] };
    const rounds: Record<Revision, Rounds> = { '2025-11-25': { guarded: [], bare: [] }, [MODERN]: { guarded: [], bare: [] } };
    const plan: Array<[Revision, 'guarded' | 'bare']> = [['2025-11-25', 'guarded'], ['2025-11-25', 'bare'], [MODERN, 'guarded'], [MODERN, 'bare']];
    for (let r = 0; r < P.rounds; r++) {
      for (const [revision, which] of r % 2 === 0 ? plan : [...plan].reverse()) {
        rounds[revision][which].push(which === 'bare'
          ? await throughputRound(bareUrl(revision), info.bearer, pid, undefined, revision)
          : await guardedRound(revision));
      }
    }
    const rate = (rs: Round[]) => rs.reduce((s, x) => s + x.calls, 0) / rs.reduce((s, x) => s + x.seconds, 0);
    const { guarded: g, bare: b } = rounds['2025-11-25'];
    const { guarded: mg, bare: mb } = rounds[MODERN];
    const throughputGuarded = rate(g);
    const throughputBare = rate(b);
    const rssHostGuarded = Math.max(...g.map((x) => x.peakRss), ...mg.map((x) => x.peakRss));
    const hwm = memoryOf(pid).hwm;

    // -- tokens: cold exchanges at the embedded authorization server.
    log(`tokens: ${P.exchanges} cold exchanges`);
    const exch = (await host.call('exchange', { n: P.exchanges })) as number[];
    const exchange = p50p99(exch);

    await Promise.all(targets.filter((t) => t.transport === 'stdio').map((t) => t.client.close().catch(() => undefined)));
    await host.call('stop').catch(() => undefined);
    await exited(host.child);
    host = undefined;

    // -- memory: the product itself (`mandate serve --transport http`) under one throughput round,
    // and the bare server alone in a process holding the same runtime, under the same round.
    log(`memory: one ${P.roundSeconds} s round each against "mandate serve --transport http" (sandbox inside), the same configured for real accounts (Mandate alone), and the bare server`);
    const cli = await startCliHttp(work);
    let memGuarded: { idle: number; hwm: number; rate: number };
    try {
      const idle = memoryOf(cli.child.pid!).rss;
      const r = await throughputRound(cli.url, cli.bearer, cli.child.pid!);
      memGuarded = { idle, hwm: memoryOf(cli.child.pid!).hwm, rate: r.calls / r.seconds };
    } finally {
      cli.child.kill('SIGTERM');
      await exited(cli.child);
    }
    // Mandate alone: configured for real accounts, the identity provider and the APIs in this process.
    const standalone = await startStandaloneMandate({ work, cli: CLI, policy: BENCH_CONFIG, spawned: track });
    let memStandalone: { idle: number; hwm: number; rate: number };
    try {
      const pid = standalone.child.pid!;
      const idle = memoryOf(pid).rss;
      const r = await throughputRound(standalone.url, standalone.bearer, pid);
      memStandalone = { idle, hwm: memoryOf(pid).hwm, rate: r.calls / r.seconds };
    } finally {
      await standalone.close();
    }
    const bareHost = await startHost(work, 'bare');
    let memBare: { idle: number; hwm: number; rate: number };
    try {
      const idle = memoryOf(bareHost.info.pid).rss;
      const r = await throughputRound(bareHost.info.bareUrl, bareHost.info.bearer, bareHost.info.pid);
      memBare = { idle, hwm: memoryOf(bareHost.info.pid).hwm, rate: r.calls / r.seconds };
    } finally {
      await bareHost.call('stop').catch(() => undefined);
      await exited(bareHost.child);
    }

    // -- cold start: `mandate serve` over stdio, spawn to tools/list.
    log(`cold start: 1 first run + ${P.coldStarts} runs of "mandate serve" (stdio)`);
    const coldHome = path.join(work, 'cold-home');
    const first = await coldStart(coldHome);
    const starts: number[] = [];
    for (let i = 0; i < P.coldStarts; i++) starts.push((await coldStart(coldHome)).ms);

    // -- audit trail.
    log(`audit: ${P.auditSerial} serial and ${P.auditConcurrent} concurrent appends, then verify over ${VERIFY_RECORDS} records`);
    const audit: AuditFigures = await runAuditBench({ home: path.join(work, 'audit-home'), cli: CLI, serial: P.auditSerial, concurrent: P.auditConcurrent, records: VERIFY_RECORDS });

    const results = {
      overhead_p50_ms: round(Math.max(over.stdio.p50, over.http.p50)),
      overhead_p99_ms: round(Math.max(over.stdio.p99, over.http.p99)),
      throughput_guarded: round(throughputGuarded, 1),
      throughput_bare: round(throughputBare, 1),
      throughput_ratio: round(throughputGuarded / throughputBare),
      modern_overhead_p50_ms: round(over['http-2026-07-28'].p50),
      modern_overhead_p99_ms: round(over['http-2026-07-28'].p99),
      modern_throughput_guarded: round(rate(mg), 1),
      modern_throughput_bare: round(rate(mb), 1),
      modern_throughput_ratio: round(rate(mg) / rate(mb)),
      exchange_cold_p50_ms: round(exchange.p50),
      cache_hit_rate: round(lookups > 0 ? 1 - exchanges / lookups : Number.NaN, 5),
      cold_start_ms: round(median(starts), 1),
      rss_mb: round(memGuarded.hwm, 1),
      audit_appends_per_s: round(audit.concurrentPerSecond, 0),
      verify_records_per_s: round(audit.verifyPerSecond, 0),
      details: {
        mode: QUICK ? 'quick' : 'full',
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}` },
        date: new Date().toISOString(),
        latency_ms: Object.fromEntries(Object.entries(pct).map(([k, v]) => [k, { p50: round(v.p50), p99: round(v.p99) }])),
        overhead_ms: Object.fromEntries(Object.entries(over).map(([k, v]) => [k, { p50: round(v.p50), p99: round(v.p99), paired_median: round(v.pairedP50) }])),
        latency_samples_per_target: lat['stdio/guarded']!.length,
        load_average: { start: loadStart, end: os.loadavg().map((x) => round(x, 2)) },
        audit_records_per_guarded_call: round((auditAfter - auditBefore) / guardedCalls, 2),
        throughput: {
          sessions: P.sessions, round_seconds: P.roundSeconds, rounds: P.rounds,
          calls_guarded: g.reduce((s, x) => s + x.calls, 0), calls_bare: b.reduce((s, x) => s + x.calls, 0),
          server_cpu_guarded: round(g.reduce((s, x) => s + x.serverCpu, 0) / g.length, 2),
          server_cpu_bare: round(b.reduce((s, x) => s + x.serverCpu, 0) / b.length, 2),
          modern: {
            revision: MODERN,
            calls_guarded: mg.reduce((s, x) => s + x.calls, 0), calls_bare: mb.reduce((s, x) => s + x.calls, 0),
            server_cpu_guarded: round(mg.reduce((s, x) => s + x.serverCpu, 0) / mg.length, 2),
            server_cpu_bare: round(mb.reduce((s, x) => s + x.serverCpu, 0) / mb.length, 2),
          },
        },
        tokens: { exchange_p99_ms: round(exchange.p99), exchanges_during_throughput: exchanges, token_lookups_during_throughput: lookups },
        cold_start: { first_run_ms: round(first.ms, 1), runs_ms: starts.map((s) => round(s, 1)), tools_listed: first.tools },
        memory: {
          cli_server: { idle_rss_mb: round(memGuarded.idle, 1), peak_rss_mb: round(memGuarded.hwm, 1), calls_per_s: round(memGuarded.rate, 1) },
          cli_server_configured_without_sandbox: { idle_rss_mb: round(memStandalone.idle, 1), peak_rss_mb: round(memStandalone.hwm, 1), calls_per_s: round(memStandalone.rate, 1) },
          bare_server: { idle_rss_mb: round(memBare.idle, 1), peak_rss_mb: round(memBare.hwm, 1), calls_per_s: round(memBare.rate, 1) },
          bench_host_peak_during_guarded_rounds_mb: round(rssHostGuarded, 1),
          bench_host_vm_hwm_mb: round(hwm, 1),
        },
        audit: {
          serial_appends_per_s: round(audit.serialPerSecond, 0),
          concurrent_appends_per_s: round(audit.concurrentPerSecond, 0),
          concurrent_records_per_transaction: round(audit.recordsPerTransaction, 1),
          bulk_fill_records_per_s: round(audit.fillPerSecond, 0),
          verify_store_records_per_s: round(audit.verifyPerSecond, 0),
          verify_chain_records_per_s: round(audit.verifyChainPerSecond, 0),
          cli_verify_ms: round(audit.cliMs, 1),
          cli_verify_records_per_s: round(audit.cliPerSecond, 0),
          records: VERIFY_RECORDS,
        },
        wall_seconds: round((Date.now() - started) / 1000, 1),
      },
    };
    fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    printTable(results);
    log(`wrote ${path.relative(process.cwd(), RESULTS) || RESULTS} in ${results.details.wall_seconds} s`);
  } finally {
    clearTimeout(deadline);
    killAll();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function printTable(r: Record<string, unknown>): void {
  const d = r.details as Record<string, unknown>;
  const floors: Record<string, [string, (v: number) => boolean]> = {
    overhead_p50_ms: ['≤ 0.5', (v) => v <= 0.5],
    overhead_p99_ms: ['≤ 3', (v) => v <= 3],
    throughput_ratio: ['≥ 0.8', (v) => v >= 0.8],
    modern_throughput_guarded: ['≥ 1000', (v) => v >= 1000],
    modern_throughput_ratio: ['≥ 0.9', (v) => v >= 0.9],
    exchange_cold_p50_ms: ['≤ 5', (v) => v <= 5],
    cache_hit_rate: ['≥ 0.99', (v) => v >= 0.99],
    cold_start_ms: ['≤ 400', (v) => v <= 400],
    rss_mb: ['≤ 120', (v) => v <= 120],
    verify_records_per_s: ['≥ 200000', (v) => v >= 200_000],
  };
  const w = [44, 14, 12, 6];
  const lines = [row(['figure', 'value', 'floor', 'met'], w), row(['-'.repeat(44), '-'.repeat(14), '-'.repeat(12), '-'.repeat(6)], w)];
  const lat = d.latency_ms as Record<string, { p50: number; p99: number }>;
  for (const k of Object.keys(lat)) lines.push(row([`latency ${k} p50 / p99 ms`, `${lat[k]!.p50} / ${lat[k]!.p99}`, '', ''], w));
  const mem = d.memory as Record<string, { idle_rss_mb?: number; peak_rss_mb?: number }>;
  for (const [k, label] of [['cli_server', 'sandbox inside'], ['cli_server_configured_without_sandbox', 'Mandate alone'], ['bare_server', 'bare + sandbox']] as const) {
    lines.push(row([`RSS ${label} idle / peak MB`, `${mem[k]?.idle_rss_mb} / ${mem[k]?.peak_rss_mb}`, '', ''], w));
  }
  for (const [k, v] of Object.entries(r)) {
    if (typeof v !== 'number') continue;
    const f = floors[k];
    lines.push(row([k, String(v), f?.[0] ?? '', f ? (f[1](v) ? 'yes' : 'NO') : ''], w));
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${String((err as Error)?.stack ?? err)}`);
    process.exit(1);
  },
);
