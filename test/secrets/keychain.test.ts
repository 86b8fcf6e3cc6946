// The keychain backends: the probe that decides whether one works (with fakes, for the
// timeout and the failure modes), and keytar and @napi-rs/keyring for real when a Secret
// Service is running; without one, their real failures must be quick and in plain words.
import { afterEach, describe, expect, it } from 'vitest';
import {
  explainKeychainFailure,
  keychainStore,
  KEYCHAIN_LABELS,
  loadKeychain,
  PROBE_ACCOUNT,
  probeKeychain,
} from '../../src/secrets/keychain.js';
import type { KeychainBackend } from '../../src/secrets/keychain.js';
import type { KeytarApi } from '../../src/secrets/store.js';
import { distinctiveSecret, keytarInstalled, secretServiceRunning, SKIP_NO_SECRET_SERVICE, uniqueService } from './helpers.js';

const hasSecretService = secretServiceRunning();

/** An in-memory keytar, to watch what the probe does. */
function memoryKeytar(): KeytarApi & { data: Map<string, string> } {
  const data = new Map<string, string>();
  const k = (s: string, a: string) => `${s}\u0000${a}`;
  return {
    data,
    getPassword: async (s, a) => data.get(k(s, a)) ?? null,
    setPassword: async (s, a, p) => void data.set(k(s, a), p),
    deletePassword: async (s, a) => data.delete(k(s, a)),
    findCredentials: async (s) =>
      [...data].filter(([key]) => key.startsWith(`${s}\u0000`)).map(([key, password]) => ({ account: key.split('\u0000')[1] ?? '', password })),
  };
}

describe('keychain probe', () => {
  it('accepts a keychain that completes a round trip, and leaves no probe entry behind', async () => {
    const fake = memoryKeytar();
    expect((await probeKeychain(fake, 'svc')).ok).toBe(true);
    expect(fake.data.size).toBe(0);
  });

  it('gives up on a keychain that never answers, within its time limit', async () => {
    const hanging: KeytarApi = { ...memoryKeytar(), setPassword: () => new Promise<void>(() => undefined) };
    const started = Date.now();
    const check = await probeKeychain(hanging, 'svc', 150);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(check).toEqual({ ok: false, reason: expect.stringMatching(/no answer within 0.15 s/) });
  });

  it('rejects a keychain whose reads answer null but whose writes fail (@napi-rs/keyring without a Secret Service)', async () => {
    const napiLike: KeytarApi = {
      ...memoryKeytar(),
      setPassword: async () => {
        throw new Error("Couldn't access platform storage: AccessDenied\n\nCaused by:\n    AccessDenied\n\nStack backtrace:\n   0: <unknown>");
      },
    };
    const check = await probeKeychain(napiLike, 'svc');
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).not.toContain('\n');
  });

  it('rejects a keychain that gives back something other than what was stored', async () => {
    const liar: KeytarApi = { ...memoryKeytar(), getPassword: async () => 'something else' };
    expect(await probeKeychain(liar, 'svc')).toEqual({ ok: false, reason: 'it did not give back the value just stored' });
  });
});

describe('why a keychain was not used, in plain words', () => {
  const withBus = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1/bus' };
  it.each([
    ['keytar missing', Object.assign(new Error('Cannot find package keytar'), { code: 'ERR_MODULE_NOT_FOUND' }), withBus, 'not installed'],
    ['keytar, no bus', new Error('Cannot autolaunch D-Bus without X11 $DISPLAY'), {}, 'no D-Bus session bus'],
    ['keytar, no provider', new Error('The name org.freedesktop.secrets was not provided by any .service files'), withBus, 'no Secret Service on the D-Bus session bus'],
    ['keytar, no unlocked keyring', new Error('Object does not exist at path “/org/freedesktop/secrets/collection/login”'), withBus, 'the Secret Service has no unlocked keyring to store into'],
    ['keyring, no bus', new Error("Couldn't access platform storage: AccessDenied"), {}, 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)'],
    ['keyring, refused', new Error("Couldn't access platform storage: AccessDenied"), withBus, 'the Secret Service refused access (is a keyring unlocked?)'],
  ])('%s', (_case, err, env, expected) => {
    expect(explainKeychainFailure(err, 2000, env, 'linux')).toBe(expected);
  });

  it('keeps only a short first line of an unknown error, with token-shaped text scrubbed', () => {
    const reason = explainKeychainFailure(new Error(`weird failure eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc\nstack line`), 2000, {}, 'linux');
    expect(reason).toBe('it failed: weird failure [redacted]');
  });
});

const BACKENDS: KeychainBackend[] = ['keytar', 'keyring'];

for (const backend of BACKENDS) {
  const available = hasSecretService && (backend !== 'keytar' || keytarInstalled());
  describe.skipIf(!available)(`${KEYCHAIN_LABELS[backend]} against a real Secret Service${available ? '' : SKIP_NO_SECRET_SERVICE}`, () => {
    const service = uniqueService();
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => cleanup?.());

    it(`${KEYCHAIN_LABELS[backend]}: probes, then sets, gets, finds and deletes for real`, async () => {
      const loaded = await loadKeychain(backend);
      if (!loaded.ok) throw new Error(`could not load ${backend}: ${loaded.reason}`);
      const check = await probeKeychain(loaded.api, service);
      expect(check).toEqual({ ok: true, api: loaded.api });
      const store = keychainStore(backend, loaded.api, service, undefined);
      cleanup = async () => {
        for (const c of await loaded.api.findCredentials(service)) await loaded.api.deletePassword(service, c.account);
      };
      // a stray probe entry (say, from a killed run) must not show up as a credential
      await loaded.api.setPassword(service, PROBE_ACCOUNT, 'stray');
      const secret = distinctiveSecret();
      await store.setPassword(service, 'agent:a', secret);
      expect(await store.getPassword(service, 'agent:a')).toBe(secret);
      expect(await store.findCredentials(service)).toEqual([{ account: 'agent:a', password: secret }]);
      expect(await store.deletePassword(service, 'agent:a')).toBe(true);
      expect(await store.deletePassword(service, 'agent:a')).toBe(false);
      expect(await store.getPassword(service, 'agent:a')).toBeNull();
    });
  });
}

describe.skipIf(hasSecretService)('keychains without a Secret Service (the headless case)', () => {
  for (const backend of BACKENDS) {
    it(`${KEYCHAIN_LABELS[backend]} fails its probe quickly with a one-line reason`, async () => {
      const started = Date.now();
      const loaded = await loadKeychain(backend);
      const check = loaded.ok ? await probeKeychain(loaded.api, uniqueService()) : loaded;
      expect(check.ok).toBe(false);
      if (!check.ok) {
        expect(check.reason).not.toContain('\n');
        expect(check.reason).not.toMatch(/^it failed/); // a known failure, put in plain words
      }
      expect(Date.now() - started).toBeLessThan(2500);
    });
  }
});
