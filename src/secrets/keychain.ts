// The OS keychain backends: keytar where it is installed (an optional dependency), else
// `@napi-rs/keyring`'s keytar-compatible API. Both import fine on a headless machine and fail
// only when used (and @napi-rs/keyring even answers `getPassword` with null when there is no
// Secret Service), so a keychain counts as working only after one real round trip (set, get,
// delete) inside a time limit: a broken D-Bus or a keyring waiting on a password prompt must
// never hang start-up.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { scrubString } from '../log.js';
import { checkNames, checkService, checkValue, SecretStoreError } from './store.js';
import type { Credential, KeytarApi, SecretBackend, SecretStore } from './store.js';

/** The two keychain backends. */
export type KeychainBackend = Exclude<SecretBackend, 'file'>;

/** Module specifiers. Held in a `string` so a machine without the optional keytar still type-checks. */
const MODULES: Record<KeychainBackend, string> = { keytar: 'keytar', keyring: '@napi-rs/keyring/keytar.js' };

/** How each keychain backend is named to a human. */
export const KEYCHAIN_LABELS: Record<KeychainBackend, string> = { keytar: 'keytar', keyring: '@napi-rs/keyring' };

/** The account the probe writes and deletes; never listed by `findCredentials`. */
export const PROBE_ACCOUNT = '__mandate_probe__';

/** How long a keychain gets to finish its probe round trip. */
export const DEFAULT_PROBE_TIMEOUT_MS = 2000;

/** Whether a keychain worked, and if not, why in plain words. */
export type KeychainCheck = { ok: true; api: KeytarApi } | { ok: false; reason: string };

class ProbeTimeout extends Error {}
class ProbeMismatch extends Error {}

/** Imports one keychain library; a missing or malformed module is a failed check, not a throw. */
export async function loadKeychain(backend: KeychainBackend): Promise<KeychainCheck> {
  let mod: unknown;
  try {
    mod = await import(MODULES[backend]);
  } catch (err) {
    return { ok: false, reason: explainKeychainFailure(err) };
  }
  const raw = [mod, (mod as { default?: unknown } | null)?.default].find(hasKeytarShape);
  if (!raw) return { ok: false, reason: 'its module does not offer the keytar API' };
  return { ok: true, api: validated(raw) };
}

/** Runs one set/get/delete round trip on a scratch entry of `service`, bounded by `timeoutMs`. */
export async function probeKeychain(api: KeytarApi, service: string, timeoutMs = DEFAULT_PROBE_TIMEOUT_MS): Promise<KeychainCheck> {
  const value = `probe-${randomBytes(16).toString('hex')}`;
  const roundTrip = async (): Promise<void> => {
    await api.setPassword(service, PROBE_ACCOUNT, value);
    const back = await api.getPassword(service, PROBE_ACCOUNT);
    await api.deletePassword(service, PROBE_ACCOUNT);
    if (back !== value) throw new ProbeMismatch();
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout()), timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([roundTrip(), timeout]);
    return { ok: true, api };
  } catch (err) {
    return { ok: false, reason: explainKeychainFailure(err, timeoutMs) };
  } finally {
    clearTimeout(timer);
  }
}

/** Plain words for why a keychain library failed; never more than one short line of its message. */
export function explainKeychainFailure(
  err: unknown,
  timeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (err instanceof ProbeTimeout) {
    return `no answer within ${timeoutMs / 1000} s (a locked keyring waiting for a password prompt?)`;
  }
  if (err instanceof ProbeMismatch) return 'it did not give back the value just stored';
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed';
  const message = err instanceof Error ? err.message : String(err);
  if (/autolaunch D-Bus|DBUS_SESSION_BUS_ADDRESS/i.test(message)) return 'no D-Bus session bus';
  if (/org\.freedesktop\.secrets was not provided|ServiceUnknown/i.test(message)) {
    return 'no Secret Service on the D-Bus session bus';
  }
  if (/collection\/login|Object does not exist|is locked/i.test(message)) {
    return 'the Secret Service has no unlocked keyring to store into';
  }
  if (/AccessDenied|platform storage/i.test(message)) {
    // @napi-rs/keyring says the same thing with no bus at all and with a refusing service.
    return platform === 'linux' && !env.DBUS_SESSION_BUS_ADDRESS
      ? 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)'
      : 'the Secret Service refused access (is a keyring unlocked?)';
  }
  const firstLine = (message.split('\n')[0] ?? '').trim().slice(0, 160);
  return `it failed: ${scrubString(firstLine) || 'no message'}`;
}

/** A working keychain as Mandate's secret store; the probe entry stays invisible. */
export function keychainStore(
  backend: KeychainBackend,
  api: KeytarApi,
  service: string,
  reason: string | undefined,
  platform: NodeJS.Platform = process.platform,
): SecretStore {
  return {
    backend,
    service,
    reason,
    location: keychainName(platform),
    async getPassword(s, account) {
      checkNames(s, account);
      return api.getPassword(s, account);
    },
    async setPassword(s, account, password) {
      checkValue(s, account, password);
      await api.setPassword(s, account, password);
    },
    async deletePassword(s, account) {
      checkNames(s, account);
      return api.deletePassword(s, account);
    },
    async findCredentials(s) {
      checkService(s);
      return (await api.findCredentials(s)).filter((c) => c.account !== PROBE_ACCOUNT);
    },
  };
}

function keychainName(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service on the D-Bus session bus';
}

type RawKeytar = Record<keyof KeytarApi, (...args: string[]) => Promise<unknown>>;

function hasKeytarShape(m: unknown): m is RawKeytar {
  if ((typeof m !== 'object' && typeof m !== 'function') || m === null) return false;
  const o = m as Record<string, unknown>;
  return ['getPassword', 'setPassword', 'deletePassword', 'findCredentials'].every((k) => typeof o[k] === 'function');
}

const MaybePassword = z.string().nullable();
const Deleted = z.boolean();
const Credentials = z.array(z.object({ account: z.string(), password: z.string() }));

/** What a native module answers is checked before anyone relies on it; the error never echoes a value. */
function validated(raw: RawKeytar): KeytarApi {
  const check = <T>(schema: z.ZodType<T>, value: unknown, call: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new SecretStoreError('unexpected_answer', `The keychain answered ${call} with something unexpected.`);
    return parsed.data;
  };
  return {
    getPassword: async (s, a) => check(MaybePassword, await raw.getPassword(s, a), 'getPassword'),
    setPassword: async (s, a, p) => {
      await raw.setPassword(s, a, p);
    },
    deletePassword: async (s, a) => check(Deleted, await raw.deletePassword(s, a), 'deletePassword'),
    findCredentials: async (s): Promise<Credential[]> => check(Credentials, await raw.findCredentials(s), 'findCredentials'),
  };
}
