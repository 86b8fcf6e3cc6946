// Choosing the backend: the first that works wins, MANDATE_SECRETS forces one, `prefer`
// reorders, and the line printed at start-up says where secrets went and why.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBackend, openSecretStore, SecretStoreError } from '../../src/secrets/index.js';
import type { SecretStore } from '../../src/secrets/index.js';
import { cleanupHomes, distinctiveSecret, keytarInstalled, secretServiceRunning, SKIP_NO_SECRET_SERVICE, tempHome, uniqueService } from './helpers.js';

afterAll(cleanupHomes);

const hasSecretService = secretServiceRunning();
// Opened once up front so the test title can name the backend that answered on this machine.
const service = uniqueService();
const defaultStore = await openSecretStore({ home: await tempHome(), service, env: {} });

async function emptyService(store: SecretStore, s: string): Promise<void> {
  for (const c of await store.findCredentials(s)) await store.deletePassword(s, c.account);
}

describe('openSecretStore', () => {
  afterAll(() => emptyService(defaultStore, service));

  it(`round trip on the backend that answered here: ${defaultStore.backend}`, async () => {
    const secret = distinctiveSecret();
    await defaultStore.setPassword(service, 'agent:demo', secret);
    expect(await defaultStore.getPassword(service, 'agent:demo')).toBe(secret);
    expect(await defaultStore.findCredentials(service)).toEqual([{ account: 'agent:demo', password: secret }]);
    expect(await defaultStore.deletePassword(service, 'agent:demo')).toBe(true);
    expect(await defaultStore.getPassword(service, 'agent:demo')).toBeNull();
  });

  it('picks keytar when a Secret Service runs and keytar is installed, else the file and says why', () => {
    if (hasSecretService) {
      expect(defaultStore.backend).toBe(keytarInstalled() ? 'keytar' : 'keyring');
    } else {
      expect(defaultStore.backend).toBe('file');
      expect(defaultStore.reason).toMatch(/^no OS keychain answered \(keytar: .+; @napi-rs\/keyring: .+\)$/);
      expect(describeBackend(defaultStore)).toContain('not the OS keychain because no OS keychain answered');
    }
  });

  it('uses the encrypted file when MANDATE_SECRETS=file, whatever else works', async () => {
    const home = await tempHome();
    const store = await openSecretStore({ home, prefer: 'keytar', env: { MANDATE_SECRETS: 'file' } });
    expect(store.backend).toBe('file');
    expect(store.service).toBe('mandate');
    expect(store.location).toBe(`${home}/secrets.enc`);
    expect(describeBackend(store)).toBe(
      `secrets: encrypted file ${home}/secrets.enc (key kept apart in ${home}/keys/secrets.key); not the OS keychain because MANDATE_SECRETS=file asks for the encrypted file`,
    );
  });

  it('uses the encrypted file when it is preferred', async () => {
    const store = await openSecretStore({ home: await tempHome(), prefer: 'file', env: {} });
    expect(store.backend).toBe('file');
    expect(store.reason).toBe('the encrypted file was asked for (prefer: file)');
  });

  it('rejects a MANDATE_SECRETS that names no backend, listing the ones that exist', async () => {
    const err = await openSecretStore({ home: await tempHome(), env: { MANDATE_SECRETS: 'vault' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretStoreError);
    expect((err as SecretStoreError).kind).toBe('invalid_config');
    expect((err as SecretStoreError).message).toBe('MANDATE_SECRETS must be one of keytar, keyring, file (or unset), not "vault".');
  });

  it('never writes a secret value to the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const home = await tempHome();
    const s = uniqueService();
    const secret = distinctiveSecret();
    const store = await openSecretStore({ home, service: s, logger, env: {} });
    await store.setPassword(s, 'a', secret);
    await store.getPassword(s, 'a');
    await store.findCredentials(s);
    await store.deletePassword(s, 'a');
    expect(lines.join('')).toContain('secret store opened'); // the log did receive something
    expect(lines.join('')).not.toContain(secret);
  });
});

describe.skipIf(hasSecretService)(`openSecretStore without a Secret Service${hasSecretService ? ' [SKIPPED: a Secret Service is running]' : ''}`, () => {
  it('refuses a forced keychain that does not work, saying why and what to do', async () => {
    const err = await openSecretStore({ home: await tempHome(), env: { MANDATE_SECRETS: 'keyring' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretStoreError);
    expect((err as SecretStoreError).kind).toBe('unavailable');
    expect((err as SecretStoreError).message).toMatch(/^MANDATE_SECRETS=keyring asks for @napi-rs\/keyring, which does not work here: .+\. Unset MANDATE_SECRETS/);
  });
});

describe.skipIf(!hasSecretService)(`openSecretStore with a Secret Service${hasSecretService ? '' : SKIP_NO_SECRET_SERVICE}`, () => {
  it('uses @napi-rs/keyring when it is preferred or forced', async () => {
    const s = uniqueService();
    const preferred = await openSecretStore({ home: await tempHome(), service: s, prefer: 'keyring', env: {} });
    expect(preferred.backend).toBe('keyring');
    expect(preferred.reason).toBeUndefined();
    expect(describeBackend(preferred)).toBe('secrets: OS keychain (Secret Service on the D-Bus session bus) via @napi-rs/keyring');
    const forced = await openSecretStore({ home: await tempHome(), service: s, env: { MANDATE_SECRETS: 'keyring' } });
    expect(forced.backend).toBe('keyring');
  });

  it('keychain and file are separate: a secret set in one is not in the other', async () => {
    const home = await tempHome();
    const s = uniqueService();
    const keychain = await openSecretStore({ home, service: s, env: {} });
    const file = await openSecretStore({ home, service: s, env: { MANDATE_SECRETS: 'file' } });
    await keychain.setPassword(s, 'a', 'in-keychain');
    try {
      expect(await file.getPassword(s, 'a')).toBeNull();
    } finally {
      await emptyService(keychain, s);
    }
  });
});
