// `mandate agents credentials`: secrets go only where the user said, to a file nobody else can
// read. (The whole flow, serve → credentials → the headless example, runs in test/readme.test.ts.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeSecretFile } from '../../src/cli/commands/credentials.js';
import { mandate, tempHome } from '../helpers/cli.js';

const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mandate-cred-'));

describe('writeSecretFile', () => {
  it('creates the file with mode 0600', () => {
    const f = path.join(dir(), 'runner.env');
    expect(writeSecretFile(f, 'A=1\n')).toBeNull();
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(f, 'utf8')).toBe('A=1\n');
  });

  it('replaces a 0600 file of this user\'s', () => {
    const f = path.join(dir(), 'runner.env');
    fs.writeFileSync(f, 'old', { mode: 0o600 });
    expect(writeSecretFile(f, 'new')).toBeNull();
    expect(fs.readFileSync(f, 'utf8')).toBe('new');
  });

  it('refuses a file others can read, and a symbolic link, writing nothing', () => {
    const d = dir();
    const loose = path.join(d, 'loose.env');
    fs.writeFileSync(loose, 'old', { mode: 0o644 });
    fs.chmodSync(loose, 0o644);
    expect(writeSecretFile(loose, 'secret')).toMatch(/mode 0644.*chmod 600/);
    expect(fs.readFileSync(loose, 'utf8')).toBe('old');
    const target = path.join(d, 'target');
    fs.writeFileSync(target, '', { mode: 0o600 });
    fs.symlinkSync(target, path.join(d, 'link.env'));
    expect(writeSecretFile(path.join(d, 'link.env'), 'secret')).toMatch(/not a regular file/);
    expect(fs.readFileSync(target, 'utf8')).toBe('');
  });
});

describe('mandate agents credentials', () => {
  it('asks where the secrets go (usage, exit 2) and needs a running sandbox', () => {
    const { env } = tempHome({});
    const none = mandate(['agents', 'credentials', 'demo-agent'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--env-out');
    const f = path.join(dir(), 'runner.env');
    const noSandbox = mandate(['agents', 'credentials', 'demo-agent', '--env-out', f], env);
    expect(noSandbox.code).toBe(1);
    expect(noSandbox.stderr).toContain('mandate serve --transport http');
    expect(fs.existsSync(f)).toBe(false);
  });
});
