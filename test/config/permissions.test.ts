// Issue #10: a state directory another local user can write to (or that another user owns) is
// one whose audit trail, keys and config they control. `mandate serve` refuses it and says how
// to fix it; `mandate doctor` reports the owner and mode of each file that matters.
import { afterAll, describe, expect, test } from 'vitest';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { homeRefusal, inspectHome } from '../../src/config/permissions.js';

const made: string[] = [];
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
function home(mode = 0o700): string {
  const dir = mkdtempSync(join(tmpdir(), 'mandate-perm-'));
  made.push(dir);
  chmodSync(dir, mode);
  return dir;
}
const posix = process.platform !== 'win32';
const root = posix && process.getuid!() === 0;

describe.runIf(posix)('homeRefusal (what serve checks)', () => {
  test('a private home, or none yet, is fine', () => {
    expect(homeRefusal(home(0o700))).toBeNull();
    expect(homeRefusal(home(0o755))).toBeNull();
    expect(homeRefusal(join(home(), 'not-yet'))).toBeNull();
  });

  test.each([0o777, 0o770, 0o702, 0o720])('a home of mode %o is refused, naming the fix', (mode) => {
    const h = home(mode);
    const why = homeRefusal(h);
    expect(why).toContain(h);
    expect(why).toContain(`mode 0${mode.toString(8)}`);
    expect(why).toContain(`chmod 700 ${h}`);
  });

  test('a writable keys directory is refused too', () => {
    const h = home();
    mkdirSync(join(h, 'keys'));
    chmodSync(join(h, 'keys'), 0o757);
    expect(homeRefusal(h)).toContain(`chmod 700 ${join(h, 'keys')}`);
  });

  test.runIf(root)('a home owned by another user is refused (even to root)', () => {
    const h = home();
    chownSync(h, 65534, 65534);
    const why = homeRefusal(h)!;
    expect(why).toContain('owned by uid 65534');
    expect(why).toContain(h);
  });
});

describe.runIf(posix)('inspectHome (what doctor reports)', () => {
  test('owner and octal mode of the home, keys, store and secrets files; what is too open is flagged', () => {
    const h = home(0o700);
    mkdirSync(join(h, 'keys'), { mode: 0o700 });
    writeFileSync(join(h, 'mandate.db'), '', { mode: 0o644 });
    writeFileSync(join(h, 'secrets.enc'), '', { mode: 0o666 });
    writeFileSync(join(h, 'keys', 'secrets.key'), '', { mode: 0o600 });
    chmodSync(join(h, 'mandate.db'), 0o644);
    chmodSync(join(h, 'secrets.enc'), 0o666);
    const report = inspectHome(h, { secretsFile: true });
    const by = Object.fromEntries(report.map((r) => [r.path, r]));
    expect(report.map((r) => r.path)).toEqual([h, join(h, 'keys'), join(h, 'mandate.db'), join(h, 'secrets.enc'), join(h, 'keys', 'secrets.key')]);
    expect(by[h]).toMatchObject({ mode: 0o700, uid: process.getuid!(), problems: [], warnings: [] });
    expect(by[join(h, 'mandate.db')]).toMatchObject({ mode: 0o644, problems: [] });
    expect(by[join(h, 'mandate.db')]!.warnings.join()).toContain(`chmod 600 ${join(h, 'mandate.db')}`);
    expect(by[join(h, 'secrets.enc')]!.problems.join()).toContain('writable by group and others');
    expect(by[join(h, 'keys', 'secrets.key')]).toMatchObject({ mode: 0o600, problems: [], warnings: [] });
  });

  test('missing files are reported as missing; the secrets file only when the file store is used', () => {
    const h = home();
    const report = inspectHome(h, { secretsFile: false });
    expect(report.map((r) => [r.path, r.exists])).toEqual([[h, true], [join(h, 'keys'), false], [join(h, 'mandate.db'), false]]);
  });
});
