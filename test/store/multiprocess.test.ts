// The store as the server and the CLI use it: several processes on one file at once, and a
// process killed mid-write. The store's sources are transpiled once into a temp dir so
// child processes can run them with plain node.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { verifyStore } from '../../src/audit/verify.js';
import { openStore, storePath } from '../../src/store/index.js';
import { cleanupHomes, sampleInput, tempHome } from './helpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let build: string;

const WORKER = `
import { openSqliteStore } from './src/store/sqlite.js';
const [path, role, countText] = process.argv.slice(2);
const count = Number(countText);
const store = openSqliteStore(path);
const T0 = Date.now();
try {
  if (role === 'crash') {
    // Twenty calls in flight at all times; each prints its call_id once its record resolved.
    let n = 0;
    const one = async () => {
      for (;;) {
        const id = 'crash-' + n++;
        const [r] = await store.appendAudit([{ call_id: id, event: 'executed', tool: 'slack_post_message', agent: 'assistant' }]);
        process.stdout.write(r.call_id + '\\n');
      }
    };
    await Promise.all(Array.from({ length: 20 }, one));
  }
  for (let i = 0; i < count; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, k) =>
      store.appendAudit([{ call_id: role + '-' + (i + k), event: 'executed', tool: 'slack_post_message', agent: role, actor_chain: [role, 'demo-user'] }])));
    const a = await store.createApproval({ call_id: role + '-' + i, user: 'demo-user', agent: role, tool: 't', args_digest: 'd' + i,
      args: {}, summary: 's', expires_at: new Date(T0 + 600000).toISOString() });
    await store.decideApproval(a.approval_id, { decision: 'approved', approver: 'cli', channel: 'cli' });
    if (!(await store.consumeApproval({ user: 'demo-user', agent: role, client: null, tool: 't', argsDigest: 'd' + i, now: Date.now() }))) throw new Error('approval not consumed');
    await store.hitRate({ key: 'shared', windowMs: 60000, limit: 1000000, now: Date.now() });
    await store.readAudit({ agent: role, order: 'desc', limit: 5 });
    // A breath between rounds, as any real CLI has: SQLite's busy handler polls rather than
    // queues, so two back-to-back writers could otherwise keep the server out for their whole run.
    await new Promise((r) => setTimeout(r, 2));
  }
  await store.close();
} catch (err) {
  process.stderr.write('worker failed: ' + (err && err.code) + ' ' + (err && err.message) + '\\n');
  process.exit(1);
}
`;

/** Transpiles the store and audit sources (and nothing else) into a temp tree that resolves node_modules. */
function transpile(): string {
  const out = tempHome('mandate-build-');
  for (const dir of ['src/store', 'src/audit']) {
    mkdirSync(join(out, dir), { recursive: true });
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts'))) {
      const { outputText } = ts.transpileModule(readFileSync(join(ROOT, dir, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, esModuleInterop: true },
      });
      writeFileSync(join(out, dir, file.replace(/\.ts$/, '.js')), outputText);
    }
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'));
  writeFileSync(join(out, 'worker.mjs'), WORKER);
  return out;
}

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  done: Promise<number | null>;
}

function run(path: string, role: string, count: number): Run {
  const child = spawn(process.execPath, [join(build, 'worker.mjs'), path, role, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Run = { child, stdout: [], stderr: [], done: new Promise((res) => child.on('exit', (code) => res(code))) };
  child.stdout!.on('data', (d: Buffer) => r.stdout.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => r.stderr.push(d.toString()));
  return r;
}

beforeAll(() => {
  build = transpile();
}, 20_000);
afterAll(cleanupHomes);

describe('several processes on one store', () => {
  test('two CLI-like processes and the server append, decide and count at once: no SQLITE_BUSY, one chain', async () => {
    const home = tempHome();
    const path = storePath(home);
    // All three open a file that does not exist yet, so they also race to create and migrate it.
    const workers = [run(path, 'cli-a', 300), run(path, 'cli-b', 300)];
    const store = openStore(home);
    // The server keeps writing for as long as the others run, so their writes really overlap.
    let finished = false;
    const codes = Promise.all(workers.map((w) => w.done)).finally(() => (finished = true));
    let mine = 0;
    while (!finished || mine < 100) {
      await Promise.all(Array.from({ length: 10 }, () => store.appendAudit([sampleInput(++mine)])));
      await store.hitRate({ key: 'shared', windowMs: 60_000, limit: 1_000_000, now: Date.now() });
    }
    expect(workers.map((w) => w.stderr.join(''))).toEqual(['', '']);
    expect(await codes).toEqual([0, 0]);
    expect(await store.auditCount()).toBe(600 + mine);
    expect(await verifyStore(store)).toMatchObject({ ok: true, count: 600 + mine });
    expect((await store.readAudit({ agent: 'cli-a' })).map((r) => r.call_id)).toHaveLength(300);
    expect((await store.listApprovals({ status: 'used' })).length).toBe(60);
    expect(await store.peekRate({ key: 'shared', windowMs: 60_000, now: Date.now() })).toMatchObject({ count: 60 + mine / 10 });
    // Interleaved: the server's records are not all before or after the others'.
    const agents = (await store.readAudit()).map((r) => r.agent);
    const firstOther = agents.findIndex((a) => a === 'cli-a' || a === 'cli-b');
    const lastOther = agents.length - 1 - [...agents].reverse().findIndex((a) => a === 'cli-a' || a === 'cli-b');
    expect(agents.slice(firstOther, lastOther).some((a) => a !== 'cli-a' && a !== 'cli-b')).toBe(true);
    await store.close();
  }, 20_000);

  test('kill -9 during 20 concurrent appends: every record the writer saw resolve is there, and the chain verifies', async () => {
    const home = tempHome();
    openStore(home).close();
    const w = run(storePath(home), 'crash', 0);
    await new Promise<void>((res, rej) => {
      const timer = setInterval(() => {
        if (w.stdout.join('').split('\n').length > 400) {
          clearInterval(timer);
          w.child.kill('SIGKILL');
          res();
        }
      }, 5);
      w.done.then(() => (clearInterval(timer), rej(new Error(`worker ended early: ${w.stderr.join('')}`))));
    });
    await w.done;
    const seen = w.stdout.join('').split('\n').filter((l) => l.startsWith('crash-'));
    const store = openStore(home);
    const stored = new Set((await store.readAudit()).map((r) => r.call_id));
    expect(seen.length).toBeGreaterThan(400 - 2);
    expect(seen.filter((id) => !stored.has(id))).toEqual([]);
    expect(await verifyStore(store)).toMatchObject({ ok: true });
    await store.close();
  }, 20_000);
});
