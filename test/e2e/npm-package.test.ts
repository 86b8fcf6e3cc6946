// The npm package as a user gets it: `npm pack`, installed into an empty directory with its
// dependencies from the registry (better-sqlite3 compiles there when no prebuilt binary can be
// downloaded: minutes on a busy machine), then `npx -y mandate-mcp serve` driven over stdio by the
// SDK's Client. MANDATE_SKIP_PACK_TEST=1 skips it (CI runs it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ROOT, sc } from '../helpers/cli.js';

const skip = process.env.MANDATE_SKIP_PACK_TEST === '1';
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

let dir = '';
beforeAll(async () => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-npx-'));
  // dist/ is already built (npm test's pretest); rebuilding here would pull it from under other suites.
  await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], ROOT);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'empty', private: true }));
  await run('npm', ['install', `./${pkg.name}-${pkg.version}.tgz`], dir);
}, 600_000);
afterAll(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

describe.skipIf(skip)('the npm package', () => {
  it('holds only what runs: the bundled CLI and its chunks', async () => {
    const files = fs.readdirSync(path.join(dir, 'node_modules', pkg.name), { recursive: true }).map(String).sort();
    expect(files.filter((f) => !f.startsWith('dist/chunks/') && f !== 'dist/chunks')).toEqual(['README.md', 'dist', 'dist/mandate.js', 'package.json']);
  });

  it('`npx -y mandate-mcp serve` answers tools/list and a tool call over stdio', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-npx-home-'));
    const env = { ...process.env, MANDATE_HOME: home, MANDATE_SECRETS: 'file', MANDATE_LOG_LEVEL: 'warn' } as Record<string, string>;
    delete env.MANDATE_CONFIG;
    const transport = new StdioClientTransport({ command: 'npx', args: ['-y', pkg.name, 'serve'], cwd: dir, env, stderr: 'pipe' });
    const client = new Client({ name: 'npx-user', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('slack_list_channels');
      const result = await client.callTool({ name: 'slack_list_channels', arguments: { limit: 2 } });
      expect(result.isError).toBeFalsy();
      expect(sc(result).channels).toHaveLength(2);
    } finally {
      await client.close();
    }
  }, 60_000);
});
