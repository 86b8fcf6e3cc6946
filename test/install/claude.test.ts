// `mandate install claude` / `install --print`: the config file found per platform under a
// temporary HOME/APPDATA, other entries kept, a backup written, malformed files left alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runInstall, type InstallContext } from '../../src/cli/commands/install.js';
import { claudeConfigPath } from '../../src/install/claude.js';

function io(env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => { out += d; });
  stderr.on('data', (d) => { err += d; });
  return { io: { stdout, stderr, env, home: '/unused' }, out: () => out, err: () => err };
}

const ctx = (homedir: string, platform: NodeJS.Platform): InstallContext => ({
  platform, homedir, cli: '/opt/mandate/dist/mandate.js', node: '/usr/bin/node', now: new Date('2026-11-29T10:00:00.000Z'),
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-install-'));

describe('claudeConfigPath', () => {
  it('is the documented path on macOS, Windows and Linux', () => {
    expect(claudeConfigPath('darwin', {}, '/Users/dana')).toBe('/Users/dana/Library/Application Support/Claude/claude_desktop_config.json');
    expect(claudeConfigPath('win32', { APPDATA: 'C:\\Users\\dana\\AppData\\Roaming' }, 'C:\\Users\\dana')).toBe('C:\\Users\\dana\\AppData\\Roaming\\Claude\\claude_desktop_config.json');
    expect(claudeConfigPath('linux', {}, '/home/dana')).toBe('/home/dana/.config/Claude/claude_desktop_config.json');
  });
});

describe('mandate install claude', () => {
  for (const platform of ['darwin', 'linux'] as const) {
    it(`adds the entry on ${platform} under a temporary HOME, creating the file`, async () => {
      const home = tmp();
      const c = io({ HOME: home });
      expect(await runInstall(['claude', '--agent', 'assistant', '--home', '/srv/mandate'], c.io, ctx(home, platform))).toBe(0);
      const file = claudeConfigPath(platform, {}, home);
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
        mcpServers: { mandate: { command: '/usr/bin/node', args: ['/opt/mandate/dist/mandate.js', 'serve', '--agent', 'assistant'], env: { MANDATE_HOME: '/srv/mandate' } } },
      });
      expect(c.err()).toContain('added mcpServers.mandate');
    });
  }

  // A win32 path cannot be written on a POSIX machine: there, the path itself is checked.
  it.runIf(process.platform === 'win32')('finds the file under %APPDATA% on Windows', async () => {
    const appData = tmp();
    const c = io({ APPDATA: appData });
    expect(await runInstall(['claude'], c.io, ctx('C:\\nowhere', 'win32'))).toBe(0);
    const file = path.join(appData, 'Claude', 'claude_desktop_config.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).mcpServers.mandate.args).toEqual(['/opt/mandate/dist/mandate.js', 'serve', '--agent', 'demo-agent']);
  });

  it('reads %APPDATA% from the environment it is given on Windows', async () => {
    const c = io({ APPDATA: 'D:\\Profiles\\dana\\Roaming' });
    expect(await runInstall(['claude', '--dry-run'], c.io, ctx('C:\\Users\\dana', 'win32'))).toBe(0);
    expect(c.err()).toContain('D:\\Profiles\\dana\\Roaming\\Claude\\claude_desktop_config.json');
  });

  it('updates an existing entry, keeps every other key and server, and writes a timestamped backup', async () => {
    const home = tmp();
    const file = claudeConfigPath('linux', {}, home);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const before = { globalShortcut: 'Ctrl+Space', mcpServers: { other: { command: 'uvx', args: ['x'] }, mandate: { command: 'node', args: ['old.js'] } } };
    fs.writeFileSync(file, JSON.stringify(before));
    const c = io({ HOME: home });
    expect(await runInstall(['claude'], c.io, ctx(home, 'linux'))).toBe(0);
    const after = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(after.globalShortcut).toBe('Ctrl+Space');
    expect(after.mcpServers.other).toEqual(before.mcpServers.other);
    expect(after.mcpServers.mandate.command).toBe('/usr/bin/node');
    expect(c.err()).toContain('updated mcpServers.mandate');
    const backup = `${file}.20261129T100000.000Z.bak`;
    expect(JSON.parse(fs.readFileSync(backup, 'utf8'))).toEqual(before);
  });

  it('--dry-run shows the change and writes nothing', async () => {
    const home = tmp();
    const file = claudeConfigPath('darwin', {}, home);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"mcpServers":{"other":{"command":"x"}}}');
    const c = io({ HOME: home });
    expect(await runInstall(['claude', '--dry-run'], c.io, ctx(home, 'darwin'))).toBe(0);
    expect(JSON.parse(c.out()).mcpServers).toHaveProperty('mandate');
    expect(JSON.parse(c.out()).mcpServers).toHaveProperty('other');
    expect(c.err()).toMatch(/would add mcpServers\.mandate .*nothing written/);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"mcpServers":{"other":{"command":"x"}}}');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['claude_desktop_config.json']);
  });

  it('refuses a malformed config clearly and writes nothing', async () => {
    for (const text of ['{"mcpServers": {', '[1,2]', '{"mcpServers": []}']) {
      const home = tmp();
      const file = claudeConfigPath('linux', {}, home);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      const c = io({ HOME: home });
      expect(await runInstall(['claude'], c.io, ctx(home, 'linux'))).toBe(1);
      expect(c.err()).toMatch(/claude_desktop_config\.json: .*nothing was written/);
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
      expect(fs.readdirSync(path.dirname(file))).toEqual(['claude_desktop_config.json']);
    }
  });

  it('--uninstall removes the entry (with a backup) and keeps the others', async () => {
    const home = tmp();
    const file = claudeConfigPath('linux', {}, home);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ mcpServers: { other: { command: 'x' }, mandate: { command: 'node', args: [] } } }));
    const c = io({ HOME: home });
    expect(await runInstall(['claude', '--uninstall'], c.io, ctx(home, 'linux'))).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ mcpServers: { other: { command: 'x' } } });
    expect(fs.readdirSync(path.dirname(file)).filter((f) => f.endsWith('.bak'))).toHaveLength(1);
    const again = io({ HOME: home });
    expect(await runInstall(['claude', '--uninstall'], again.io, ctx(home, 'linux'))).toBe(0);
    expect(again.err()).toContain('nothing to remove');
  });

  it('--print prints the entry for any other client', async () => {
    const c = io({});
    expect(await runInstall(['--print', '--agent', 'reader'], c.io, ctx('/nowhere', 'linux'))).toBe(0);
    expect(JSON.parse(c.out())).toEqual({ mcpServers: { mandate: { command: '/usr/bin/node', args: ['/opt/mandate/dist/mandate.js', 'serve', '--agent', 'reader'] } } });
  });
});
