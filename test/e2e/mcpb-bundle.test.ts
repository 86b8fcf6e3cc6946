// The Claude Desktop bundle, started the way Claude Desktop starts it: `mcpb unpack`, then
// mcp_config with ${__dirname} and ${user_config.*} substituted by the mcpb library's own
// getMcpConfigForManifest (the code Claude Desktop uses), spawned, and listed over stdio.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { getMcpConfigForManifest } from '@anthropic-ai/mcpb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ROOT, sc } from '../helpers/cli.js';

const MCPB = path.join(ROOT, 'node_modules/@anthropic-ai/mcpb/dist/cli/cli.js');
let dir = '';
let unpacked = '';
let manifest: any;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-mcpb-test-'));
  // dist/ is built already (npm test's pretest): the bundle script alone, not `npm run bundle`.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/mcpb.mjs'), '--out', path.join(dir, 'mandate.mcpb')], { stdio: 'pipe' });
  unpacked = path.join(dir, 'unpacked');
  execFileSync(process.execPath, [MCPB, 'unpack', path.join(dir, 'mandate.mcpb'), unpacked], { stdio: 'pipe' });
  manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'manifest.json'), 'utf8'));
}, 180_000);

async function mcpConfig(userConfig: Record<string, string>) {
  const config = await getMcpConfigForManifest({
    manifest, extensionPath: unpacked, systemDirs: { HOME: os.homedir() }, userConfig, pathSeparator: path.sep,
  });
  if (!config) throw new Error('no mcp_config');
  return config;
}

describe('mandate.mcpb', () => {
  it('validates, and declares the platform its native modules were built for', () => {
    expect(spawnSync(process.execPath, [MCPB, 'validate', path.join(unpacked, 'manifest.json')], { encoding: 'utf8' }).status).toBe(0);
    expect(manifest.server.type).toBe('node');
    expect(manifest.compatibility.platforms).toEqual([process.platform]);
    expect(Object.keys(manifest.user_config)).toEqual(['agent_id', 'state_dir', 'config_file']);
  });

  it('starts as Claude Desktop starts it and lists tools over stdio, with the user\'s settings applied', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-mcpb-home-'));
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({ agents: { reader: { readOnly: true } } }));
    const config = await mcpConfig({ agent_id: 'reader', state_dir: home });
    expect(config.args).toEqual([path.join(unpacked, 'server/index.js'), 'serve', '--agent', 'reader']);
    expect(config.env).toMatchObject({ MANDATE_HOME: home, MANDATE_CONFIG: '' });
    const transport = new StdioClientTransport({
      command: config.command === 'node' ? process.execPath : config.command,
      args: config.args,
      env: { PATH: process.env.PATH!, HOME: os.homedir(), MANDATE_SECRETS: 'file', ...config.env },
      cwd: os.tmpdir(),
      stderr: 'pipe',
    });
    const client = new Client({ name: 'claude-desktop-like', version: '1.0.0' });
    await client.connect(transport);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('slack_read_history');
      expect(names).not.toContain('slack_post_message'); // agent reader is read-only: the settings reached the server
      const who = await client.callTool({ name: 'mandate_whoami', arguments: {} });
      expect(sc(who).agent).toBe('reader');
    } finally {
      await client.close();
    }
    expect(fs.existsSync(path.join(home, 'mandate.db'))).toBe(true); // state went where the user said
  }, 60_000);

  it('refuses, saying what to do instead, a runtime its native modules were not built for', async () => {
    const native = path.join(unpacked, 'server/native.json');
    const built = JSON.parse(fs.readFileSync(native, 'utf8'));
    fs.writeFileSync(native, JSON.stringify({ ...built, modules: '999' }));
    const config = await mcpConfig({ agent_id: 'demo-agent', state_dir: '' });
    const r = spawnSync(process.execPath, config.args!, { env: { ...process.env, ...config.env }, encoding: 'utf8', input: '' });
    fs.writeFileSync(native, JSON.stringify(built));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Node ABI 999');
    expect(r.stderr).toContain('npm install -g mandate-mcp && mandate install claude');
  });
});
