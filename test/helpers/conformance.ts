// Runs the official MCP conformance suite (@modelcontextprotocol/conformance) against a
// running Mandate. Two things stand between the suite and this project, both handled here
// and not in the product:
// - on Node 20 the suite fails at load: it imports `fs.globSync` (Node ≥ 22). A copy of its
//   bundle with that one import replaced by a small stand-in (a recursive walk returning the
//   files named like the pattern's last segment) runs on Node 20;
// - its server scenarios send no bearer token: a loopback proxy adds the header.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);

/** The suite's CLI entry, patched for Node 20 when this Node lacks fs.globSync. */
export function conformanceEntry(): string {
  const original = path.join(path.dirname(require.resolve('@modelcontextprotocol/conformance/package.json')), 'dist', 'index.js');
  if (typeof (fs as { globSync?: unknown }).globSync === 'function') return original;
  const patched = path.join(path.dirname(original), 'index.node20.js');
  const source = fs.readFileSync(original, 'utf8');
  const marker = 'globSync as a,';
  if (!source.includes(marker)) throw new Error('the conformance bundle changed: its fs.globSync import is not where the Node 20 patch expects it');
  const standIn =
    'function a(pattern,opts={}){const fs_=__node20fs,path_=__node20path;const want=String(pattern).split("/").pop();' +
    'const root=opts.cwd??process.cwd();const out=[];const walk=(dir)=>{let es;try{es=fs_.readdirSync(path_.join(root,dir),{withFileTypes:true})}catch{return}' +
    'for(const e of es){const rel=dir?path_.join(dir,e.name):e.name;if(e.isDirectory())walk(rel);else if(e.name===want)out.push(rel)}};walk("");return out}\n';
  const body = source.replace(marker, '');
  const header = 'import * as __node20fs from "node:fs";import * as __node20path from "node:path";\n';
  // The bundle starts with a shebang line; the stand-in goes right after it.
  const nl = body.indexOf('\n');
  const text = body.startsWith('#!') ? `${body.slice(0, nl + 1)}${header}${standIn}${body.slice(nl + 1)}` : `${header}${standIn}${body}`;
  if (!fs.existsSync(patched) || fs.readFileSync(patched, 'utf8') !== text) fs.writeFileSync(patched, text);
  return patched;
}

/** A loopback proxy to `target` (an http URL's origin) that adds `authorization: Bearer <token>`. */
export async function bearerProxy(target: string, token: () => string): Promise<{ url: string; close(): Promise<void> }> {
  const to = new URL(target);
  let own = '';
  const server = http.createServer((req, res) => {
    // The proxy's own name becomes the server's; any other Host (the suite's DNS-rebinding
    // probes) and any Origin pass through unchanged, for the server to judge.
    const host = req.headers.host === own ? to.host : req.headers.host;
    const origin = req.headers.origin === `http://${own}` ? to.origin : req.headers.origin;
    const headers = { ...req.headers, host, ...(origin ? { origin } : {}), authorization: `Bearer ${token()}` };
    const up = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
    res.on('close', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  own = `127.0.0.1:${port}`;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export interface Check { id: string; name: string; status: string; errorMessage?: string }
export interface ScenarioResult { scenario: string; checks: Check[] }
export interface SuiteRun { code: number | null; stdout: string; stderr: string; results: ScenarioResult[] }

/** Runs `conformance <args>` with results written to a fresh directory, and reads them back. */
export async function runConformance(args: string[], timeoutMs = 120_000, onLine?: (line: string) => void): Promise<SuiteRun> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-conformance-'));
  const child = spawn(process.execPath, [conformanceEntry(), ...args, '--output-dir', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) onLine?.(l);
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const results: ScenarioResult[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'checks.json') {
        const checks = JSON.parse(fs.readFileSync(p, 'utf8')) as Check[];
        results.push({ scenario: path.basename(path.dirname(p)).replace(/-\d{4}-\d\d-\d\dT.*$/, ''), checks });
      }
    }
  };
  walk(out);
  fs.rmSync(out, { recursive: true, force: true });
  return { code, stdout, stderr, results };
}

/** The checks that failed or warned, as `scenario:check-id — message`. */
export function problems(run: SuiteRun): string[] {
  return run.results.flatMap((r) => r.checks
    .filter((c) => c.status === 'FAILURE' || c.status === 'WARNING')
    .map((c) => `${r.scenario}:${c.id} — ${c.status} ${(c.errorMessage ?? '').slice(0, 200)}`));
}

/** Totals over every check of a run. */
export function totals(run: SuiteRun): Record<string, number> {
  const t: Record<string, number> = {};
  for (const r of run.results) for (const c of r.checks) t[c.status] = (t[c.status] ?? 0) + 1;
  return t;
}
