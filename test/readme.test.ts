// The README is tested: every fenced block is found and checked by its kind, wherever it sits, so
// sections added later are covered too. TypeScript blocks type-check against the project; JSON
// blocks parse, and config blocks pass the config schema; each `mandate …` line in a shell block is
// held to the CLI's own usage; the CLI list names every command and option; links point at files
// that exist; and the headless runner's steps run as written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { CLI, ROOT } from './helpers/cli.js';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1]!, body: m[2]!, line: README.slice(0, m.index).split('\n').length }));
const USAGE = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout;
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** Shell lines of a block: `$ ` prompts and trailing comments removed; output lines of prompt-style blocks dropped. */
function commandLines(body: string): string[] {
  const lines = body.split('\n');
  const prompted = lines.some((l) => l.startsWith('$ '));
  return lines
    .filter((l) => (prompted ? l.startsWith('$ ') : l.trim() !== ''))
    .map((l) => l.replace(/^\$ /, '').replace(/\s+#\s.*$/, '').trim())
    .filter(Boolean);
}

/** Splits a command line into words, honouring single and double quotes. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"((?:\\.|[^"])*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** Why `mandate <args>` is not an invocation the CLI's usage allows, or null. */
function invalidInvocation(args: string[]): string | null {
  const [command, sub] = args;
  const usage = USAGE.split('\n').filter((l) => l.trimStart().startsWith(`${command} `) || l.trim() === command);
  if (!command || usage.length === 0) return `unknown command ${command}`;
  const text = usage.join('\n');
  if (sub && /^[a-z]+$/.test(sub) && !new RegExp(`(^|[ |])${sub}( |$)`, 'm').test(text.replace(/^\s*\S+/gm, ''))) return `unknown subcommand ${sub}`;
  for (const w of args) {
    const flag = /^(--?[a-z][a-z-]*)(=|$)/.exec(w)?.[1];
    if (flag && !text.includes(flag)) return `unknown option ${flag} for ${command}`;
  }
  return null;
}

describe('README', () => {
  it('has blocks of each kind to test', () => {
    expect(blocks.filter((b) => b.lang === 'ts').length).toBeGreaterThan(0);
    expect(blocks.filter((b) => b.lang === 'json').length).toBeGreaterThan(0);
    expect(blocks.filter((b) => b.lang === 'sh').length).toBeGreaterThan(0);
  });

  it('TypeScript blocks type-check against the project', () => {
    const ts = blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript');
    const dir = path.join(ROOT, 'node_modules/.cache/readme-ts');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    ts.forEach((b, i) => fs.writeFileSync(path.join(dir, `block-${b.line}-${i}.ts`), `${b.body}\nexport {};\n`));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      extends: '../../../tsconfig.json', compilerOptions: { noEmit: true, rootDir: '.', noUnusedLocals: false }, include: ['*.ts'],
    }));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    expect(r.stdout + r.stderr, 'README TypeScript blocks (file names carry the README line)').toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('JSON blocks parse; config blocks pass the config schema; client config blocks name a command', () => {
    for (const b of blocks.filter((x) => x.lang === 'json')) {
      const value = JSON.parse(b.body) as Record<string, unknown>;
      if ('mcpServers' in value) {
        for (const server of Object.values(value.mcpServers as Record<string, { command: unknown; args: unknown }>)) {
          expect(typeof server.command, `README line ${b.line}`).toBe('string');
          expect(Array.isArray(server.args), `README line ${b.line}`).toBe(true);
        }
      } else if (!('call_id' in value)) {
        expect(() => parseConfig(value), `README line ${b.line}`).not.toThrow();
      }
    }
  });

  it('every `mandate …` line is a valid invocation, and every `npm run` names a script', () => {
    const checked: string[] = [];
    for (const b of blocks.filter((x) => x.lang === 'sh' || x.lang === '')) {
      for (const line of commandLines(b.body)) {
        for (const part of line.split(/\s*(?:&&|;|&)\s*/).filter(Boolean)) {
          const w = words(part);
          const args = w[0] === 'mandate' ? w.slice(1) : w[0] === 'node' && w[1] === 'dist/mandate.js' ? w.slice(2) : null;
          if (args && b.lang === '' && !line.startsWith('mandate ') && !b.body.includes('$ ')) continue;
          if (args) {
            if (b.lang === '' && args.some((a) => a.includes('['))) continue; // the CLI list itself: checked below
            expect(invalidInvocation(args), `README line ${b.line}: ${part}`).toBeNull();
            checked.push(part);
          }
          if (w[0] === 'npm' && (w[1] === 'run' || w[1] === 'start' || w[1] === 'test')) {
            expect(pkg.scripts[w[1] === 'run' ? w[2]! : w[1]!], `README line ${b.line}: ${part}`).toBeDefined();
          }
        }
      }
    }
    expect(checked.length).toBeGreaterThan(5);
  });

  it('the CLI list names every command and option the CLI has', () => {
    const list = blocks.find((b) => b.lang === '' && b.body.split('\n').filter((l) => l.startsWith('mandate ')).length > 5);
    expect(list, 'the CLI block').toBeDefined();
    const commands = USAGE.split('\n').map((l) => /^ {2}([a-z]+)\b/.exec(l)?.[1]).filter(Boolean);
    for (const c of new Set(commands)) expect(list!.body, `command ${c}`).toMatch(new RegExp(`^mandate ${c}\\b`, 'm'));
    for (const flag of new Set(USAGE.match(/--[a-z][a-z-]*/g))) expect(list!.body, `option ${flag}`).toContain(flag);
  });

  it('links point at files in this repository', () => {
    for (const [, target] of README.matchAll(/\]\((?!https?:|#)([^)\s]+)\)/g)) {
      expect(fs.existsSync(path.join(ROOT, target!)), target).toBe(true);
    }
    expect(README).not.toMatch(/[^.]shared\/design\//); // the design notes live beside the repository, not in it
  });
});

describe('README: the headless runner, followed literally', () => {
  const children: ChildProcess[] = [];
  afterAll(() => { for (const c of children) c.kill('SIGTERM'); });

  it('serve, credentials --env-out, then the example with that env file', async () => {
    const block = blocks.find((b) => b.lang === 'sh' && b.body.includes('agents credentials') && b.body.includes('headless-agent'));
    expect(block, 'the headless runner block').toBeDefined();
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-readme-'));
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({ server: { port } })); // not 8787: tests run side by side
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-readme-cwd-'));
    fs.symlinkSync(path.join(ROOT, 'dist'), path.join(cwd, 'dist')); // "from a clone, after npm run build"
    const env: NodeJS.ProcessEnv = { ...process.env, MANDATE_HOME: home, MANDATE_SECRETS: 'file', MANDATE_LOG_LEVEL: 'warn' };
    delete env.MANDATE_CONFIG;
    const sh = (line: string) => ['-c', `mandate() { "${process.execPath}" "${CLI}" "$@"; }\n${line.replace(/^node /, `"${process.execPath}" `)}`];
    let last = '';
    for (const line of commandLines(block!.body)) {
      if (line.endsWith('&')) {
        const child = spawn('sh', sh(`exec ${line.slice(0, -1).trim().replace(/^mandate /, `"${process.execPath}" "${CLI}" `)}`), { cwd, env, stdio: 'ignore' });
        children.push(child);
        // A person reads "Mandate is serving…" before the next line; the sandbox file says the same.
        for (let i = 0; i < 300 && !fs.existsSync(path.join(home, 'sandbox.json')); i++) await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const c = spawn('sh', sh(line), { cwd, env });
        let out = '';
        let err = '';
        c.stdout.on('data', (d) => { out += d; });
        c.stderr.on('data', (d) => { err += d; });
        c.on('close', (code) => resolve({ code, out, err }));
      });
      expect(r.code, `${line}\n${r.err}`).toBe(0);
      last = r.out;
    }
    expect(fs.statSync(path.join(cwd, 'runner.env')).mode & 0o777).toBe(0o600);
    const result = JSON.parse(last.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({ user: 'demo-user', agent: 'demo-agent', actor_chain: ['demo-agent'] });
    expect(result.channels).toHaveLength(3);
  }, 120_000);
});
