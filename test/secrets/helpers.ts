// Test helpers for the secret store: throwaway homes and service names, and an answer to
// "is a Secret Service running?" that does not depend on the code under test.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** True when a Secret Service owns its name on the D-Bus session bus (asked with dbus-send). */
export function secretServiceRunning(): boolean {
  if (process.platform !== 'linux' || !process.env.DBUS_SESSION_BUS_ADDRESS) return false;
  try {
    const out = execFileSync(
      'dbus-send',
      ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'],
      { timeout: 2000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return /boolean true/.test(out);
  } catch {
    return false;
  }
}

/** True when the optional keytar package is installed. */
export function keytarInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('keytar');
    return true;
  } catch {
    return false;
  }
}

// The real keychain tests run when a Secret Service is up, e.g.:
//   HOME=$(mktemp -d) dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; npx vitest run test/secrets'
/** Appended to the title of a suite skipped for want of a Secret Service. */
export const SKIP_NO_SECRET_SERVICE =
  ' [SKIPPED: no Secret Service on a D-Bus session bus; to run it, see the dbus-run-session line in test/secrets/helpers.ts]';

/** A fresh state directory; `cleanup` removes every one made. */
const homes: string[] = [];
export async function tempHome(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'mandate-secrets-'));
  homes.push(home);
  return home;
}
export async function cleanupHomes(): Promise<void> {
  await Promise.all(homes.splice(0).map((h) => rm(h, { recursive: true, force: true })));
}

/** A service name no other test (or user) uses, so real keychain tests never touch real entries. */
export function uniqueService(): string {
  return `mandate-test-${randomBytes(6).toString('hex')}`;
}

/** A secret value easy to grep for. */
export function distinctiveSecret(): string {
  return `xsecret-${randomBytes(12).toString('hex')}`;
}
