// Picks the secret backend: the first that works of keytar, @napi-rs/keyring and the encrypted
// file (`prefer` moves one to the front; MANDATE_SECRETS=keytar|keyring|file forces exactly one,
// and a forced keychain that does not work is an error, not a silent fallback). The caller
// prints `describeBackend(store)` once on stderr, so a user learns where their secrets went.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { openFileSecretStore, secretFilePaths } from './file.js';
import { DEFAULT_PROBE_TIMEOUT_MS, KEYCHAIN_LABELS, keychainStore, loadKeychain, probeKeychain } from './keychain.js';
import { checkService, SECRET_BACKENDS, SecretStoreError } from './store.js';
import type { SecretBackend, SecretStore } from './store.js';

/** Options of `openSecretStore`. */
export interface OpenSecretStoreOptions {
  /** The state directory (`MANDATE_HOME`); the encrypted file and its key live under it. */
  home: string;
  /** The keychain service name Mandate's secrets are filed under (default `mandate`). */
  service?: string;
  /** Try this backend first (the others still follow). MANDATE_SECRETS overrides it. */
  prefer?: SecretBackend;
  logger?: Logger;
  /** The platform to assume (tests); default `process.platform`. */
  platform?: NodeJS.Platform;
  /** How long each keychain gets for its probe round trip (default 2000 ms). */
  probeTimeoutMs?: number;
  /** Where MANDATE_SECRETS is read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Opens the secret store on the first backend that completes a real round trip. */
export async function openSecretStore(opts: OpenSecretStoreOptions): Promise<SecretStore> {
  const service = opts.service ?? 'mandate';
  checkService(service);
  const forced = forcedBackend(opts.env ?? process.env);
  const order: SecretBackend[] = forced
    ? [forced]
    : opts.prefer
      ? [opts.prefer, ...SECRET_BACKENDS.filter((b) => b !== opts.prefer)]
      : [...SECRET_BACKENDS];
  const skipped: string[] = [];
  // On Linux both keychains speak to a Secret Service over the D-Bus session bus; with neither
  // a bus address nor a display to autolaunch one (in the environment the native modules see),
  // no probe can succeed, so none is paid for.
  const noBus = (opts.platform ?? process.platform) === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS && !process.env.DISPLAY;

  for (const backend of order) {
    if (backend !== 'file' && noBus && !forced) {
      skipped.push(`${KEYCHAIN_LABELS[backend]}: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)`);
      continue;
    }
    if (backend === 'file') {
      const reason = forced
        ? 'MANDATE_SECRETS=file asks for the encrypted file'
        : skipped.length > 0
          ? `no OS keychain answered (${skipped.join('; ')})`
          : 'the encrypted file was asked for (prefer: file)';
      opts.logger?.debug({ backend, reason }, 'secret store opened');
      return openFileSecretStore({ home: opts.home, service, reason, logger: opts.logger });
    }
    const loaded = await loadKeychain(backend);
    const check = loaded.ok ? await probeKeychain(loaded.api, service, opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS) : loaded;
    if (check.ok) {
      const reason = skipped.length > 0 ? skipped.join('; ') : undefined;
      opts.logger?.debug({ backend, reason }, 'secret store opened');
      await warnIfFileLeftBehind(opts.home, opts.logger);
      return keychainStore(backend, check.api, service, reason);
    }
    skipped.push(`${KEYCHAIN_LABELS[backend]}: ${check.reason}`);
    if (forced) {
      throw new SecretStoreError(
        'unavailable',
        `MANDATE_SECRETS=${forced} asks for ${KEYCHAIN_LABELS[backend]}, which does not work here: ${check.reason}. ` +
          'Unset MANDATE_SECRETS to use the first backend that works, or set MANDATE_SECRETS=file.',
      );
    }
  }
  throw new SecretStoreError('unavailable', 'No secret backend was tried.'); // unreachable: the order always ends in one
}

/** One line for stderr saying where secrets live and, when it is not a keychain, why. */
export function describeBackend(store: Pick<SecretStore, 'backend' | 'reason' | 'location'>): string {
  if (store.backend === 'file') {
    const key = secretFilePaths(dirname(store.location)).key;
    return `secrets: encrypted file ${store.location} (key kept apart in ${key}); not the OS keychain because ${store.reason ?? 'it was asked for'}`;
  }
  const via = `secrets: OS keychain (${store.location}) via ${KEYCHAIN_LABELS[store.backend]}`;
  return store.reason ? `${via}; skipped ${store.reason}` : via;
}

function forcedBackend(env: Readonly<Record<string, string | undefined>>): SecretBackend | undefined {
  const value = env.MANDATE_SECRETS?.trim();
  if (!value) return undefined;
  const backend = SECRET_BACKENDS.find((b) => b === value);
  if (!backend) {
    throw new SecretStoreError(
      'invalid_config',
      `MANDATE_SECRETS must be one of ${SECRET_BACKENDS.join(', ')} (or unset), not "${value.slice(0, 40)}".`,
    );
  }
  return backend;
}

/** Secrets stored in the file on an earlier, keychain-less run are not visible through a keychain: say so. */
async function warnIfFileLeftBehind(home: string, logger: Logger | undefined): Promise<void> {
  if (!logger) return;
  const path = secretFilePaths(home).secrets;
  const found = await stat(path).then(
    () => true,
    () => false,
  );
  if (found) logger.warn({ path }, 'an encrypted secrets file exists but the OS keychain is used; set MANDATE_SECRETS=file to use the file');
}
