// Issue #10 as an attacker on the same machine would try it: a MANDATE_HOME others can write
// to. `mandate serve` refuses to start on it (non-zero exit, the fix in plain words, nothing
// written); on a private home it serves; a home it creates is 0700; `mandate doctor` prints
// the mode of each file. The built CLI runs as a user would (`npm run build` first).
import { afterAll, describe, expect, test } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connectStdio, mandate, tempHome } from '../helpers/cli.js';

const homes: string[] = [];
afterAll(() => { for (const h of homes) rmSync(h, { recursive: true, force: true }); });
function home() {
  const h = tempHome();
  homes.push(h.home);
  return h;
}

describe.runIf(process.platform !== 'win32')('mandate serve and a MANDATE_HOME others can write to', () => {
  test('mode 0777: refused, exit non-zero, the fix named, nothing written', () => {
    const h = home();
    chmodSync(h.home, 0o777);
    const r = mandate(['serve'], h.env, '');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`chmod 700 ${h.home}`);
    expect(r.stderr).toContain('writable by group and others');
    expect(readdirSync(h.home)).toEqual([]);
  });

  test('a keys directory of mode 0777: refused', () => {
    const h = home();
    mkdirSync(join(h.home, 'keys'));
    chmodSync(join(h.home, 'keys'), 0o777);
    const r = mandate(['serve'], h.env, '');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`chmod 700 ${join(h.home, 'keys')}`);
    expect(existsSync(join(h.home, 'mandate.db'))).toBe(false);
  });

  test('mode 0700: it serves', async () => {
    const h = home();
    chmodSync(h.home, 0o700);
    const s = await connectStdio(h.env);
    try {
      expect((await s.client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });

  test('a home it creates is 0700', async () => {
    const h = home();
    const fresh = join(h.home, 'new-home');
    const s = await connectStdio({ ...h.env, MANDATE_HOME: fresh });
    try {
      await s.client.listTools();
    } finally {
      await s.close();
    }
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
  });
});

describe.runIf(process.platform !== 'win32')('mandate doctor', () => {
  test('prints owner and mode of the home, keys, store and secrets files, and flags what is too open', () => {
    const h = home();
    const ok = mandate(['doctor'], h.env);
    // (secrets.enc is written with the first secret; its key is made when the file store opens)
    for (const p of [h.home, join(h.home, 'keys'), join(h.home, 'mandate.db'), join(h.home, 'keys', 'secrets.key')]) {
      expect(ok.stdout).toMatch(new RegExp(`ok {4}permissions: ${p.replace(/[.]/g, '\\.')} .*mode 0[67]00, owner uid ${process.getuid!()}`));
    }
    chmodSync(h.home, 0o777);
    chmodSync(join(h.home, 'mandate.db'), 0o644);
    const bad = mandate(['doctor'], h.env);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`FAIL  permissions: ${h.home} .*mode 0777.*writable by group and others.*chmod 700 ${h.home}`));
    expect(bad.stdout).toMatch(new RegExp(`warn  permissions: ${h.home}/mandate\\.db .*mode 0644.*readable by group and others.*chmod 600`));
  });
});
