// The encrypted-file backend, always tested: it is what every headless machine uses.
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileSecretStore, secretFilePaths } from '../../src/secrets/file.js';
import { SecretStoreError } from '../../src/secrets/store.js';
import { cleanupHomes, distinctiveSecret, tempHome } from './helpers.js';

const open = (home: string) => openFileSecretStore({ home, service: 'mandate', reason: 'test' });

afterAll(cleanupHomes);

async function rejection(p: Promise<unknown>): Promise<SecretStoreError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SecretStoreError);
  return err as SecretStoreError;
}

describe('file secret store', () => {
  it('sets, gets, finds and deletes secrets per service', async () => {
    const store = await open(await tempHome());
    expect(store.backend).toBe('file');
    expect(await store.getPassword('mandate', 'agent:a')).toBeNull();
    await store.setPassword('mandate', 'agent:a', 'one');
    await store.setPassword('mandate', 'agent:b', 'two');
    await store.setPassword('other', 'agent:a', 'elsewhere');
    await store.setPassword('mandate', 'agent:a', 'one-updated');
    expect(await store.getPassword('mandate', 'agent:a')).toBe('one-updated');
    expect(await store.getPassword('other', 'agent:a')).toBe('elsewhere');
    expect(await store.findCredentials('mandate')).toEqual([
      { account: 'agent:a', password: 'one-updated' },
      { account: 'agent:b', password: 'two' },
    ]);
    expect(await store.findCredentials('nobody')).toEqual([]);
    expect(await store.deletePassword('mandate', 'agent:a')).toBe(true);
    expect(await store.deletePassword('mandate', 'agent:a')).toBe(false);
    expect(await store.getPassword('mandate', 'agent:a')).toBeNull();
    expect(await store.findCredentials('mandate')).toEqual([{ account: 'agent:b', password: 'two' }]);
  });

  it('keeps secrets across a reopen, and one store sees what another process-like store wrote', async () => {
    const home = await tempHome();
    const first = await open(home);
    const second = await open(home);
    await first.setPassword('mandate', 'refresh:alice', 'r1');
    expect(await second.getPassword('mandate', 'refresh:alice')).toBe('r1');
    const reopened = await open(home);
    expect(await reopened.getPassword('mandate', 'refresh:alice')).toBe('r1');
  });

  it('never holds a secret (or its account name) in clear in secrets.enc', async () => {
    const home = await tempHome();
    const store = await open(home);
    const secret = distinctiveSecret();
    await store.setPassword('mandate', 'account-name-visible?', secret);
    const bytes = await readFile(secretFilePaths(home).secrets);
    expect(bytes.includes(Buffer.from(secret))).toBe(false);
    expect(bytes.includes(Buffer.from(secret, 'utf16le'))).toBe(false);
    expect(bytes.includes(Buffer.from(Buffer.from(secret).toString('base64').slice(0, 16)))).toBe(false);
    expect(bytes.includes(Buffer.from('account-name-visible?'))).toBe(false);
    expect(await store.getPassword('mandate', 'account-name-visible?')).toBe(secret);
  });

  it('uses a fresh IV on every write (the same contents encrypt differently)', async () => {
    const home = await tempHome();
    const store = await open(home);
    await store.setPassword('mandate', 'a', 'same');
    const first = await readFile(secretFilePaths(home).secrets);
    await store.setPassword('mandate', 'a', 'same');
    const second = await readFile(secretFilePaths(home).secrets);
    expect(second.length).toBe(first.length);
    expect(second.subarray(8, 20).equals(first.subarray(8, 20))).toBe(false);
    expect(second.equals(first)).toBe(false);
  });

  it.skipIf(process.platform === 'win32')('writes secrets.enc and the key with mode 0600, the key directory 0700', async () => {
    const home = await tempHome();
    const store = await open(home);
    await store.setPassword('mandate', 'a', 'x');
    const paths = secretFilePaths(home);
    expect((await stat(paths.secrets)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.key)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.keyDir)).mode & 0o777).toBe(0o700);
    expect((await readFile(paths.key)).length).toBe(32);
  });

  it('leaves no temporary files behind after many concurrent writes, and loses none of them', async () => {
    const home = await tempHome();
    const store = await open(home);
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.setPassword('mandate', `acct-${i}`, `value-${i}`)));
    expect((await store.findCredentials('mandate')).length).toBe(25);
    expect((await readdir(home)).sort()).toEqual(['keys', 'secrets.enc']);
    expect(await readdir(secretFilePaths(home).keyDir)).toEqual(['secrets.key']);
  });

  it('refuses to open with the wrong key file: a clear error naming both files, never garbage', async () => {
    const home = await tempHome();
    const secret = distinctiveSecret();
    await (await open(home)).setPassword('mandate', 'a', secret);
    const { key, secrets } = secretFilePaths(home);
    await writeFile(key, Buffer.alloc(32, 7));
    const err = await rejection(open(home));
    expect(err.kind).toBe('key_mismatch');
    expect(err.message).toContain(secrets);
    expect(err.message).toContain(key);
    expect(err.message).toMatch(/cannot be decrypted/);
    expect(err.message).not.toContain(secret);
  });

  it('detects a single altered byte in secrets.enc', async () => {
    const home = await tempHome();
    await (await open(home)).setPassword('mandate', 'a', 'value');
    const path = secretFilePaths(home).secrets;
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await writeFile(path, bytes);
    expect((await rejection(open(home))).kind).toBe('key_mismatch');
  });

  it('refuses a missing key when secrets exist, rather than silently starting over', async () => {
    const home = await tempHome();
    await (await open(home)).setPassword('mandate', 'a', 'value');
    await rm(secretFilePaths(home).key);
    const err = await rejection(open(home));
    expect(err.kind).toBe('key_missing');
    expect(err.message).toContain(secretFilePaths(home).key);
  });

  it('refuses a key file of the wrong size and a file that is not a secrets file', async () => {
    const badKey = await tempHome();
    await open(badKey);
    await writeFile(secretFilePaths(badKey).key, 'short');
    expect((await rejection(open(badKey))).kind).toBe('key_invalid');

    const notOurs = await tempHome();
    await open(notOurs);
    await writeFile(secretFilePaths(notOurs).secrets, '{"entries": []}');
    expect((await rejection(open(notOurs))).kind).toBe('file_corrupt');
  });

  it('refuses empty names and values the way keytar does, naming no value', async () => {
    const store = await open(await tempHome());
    expect((await rejection(store.setPassword('mandate', '', 'x'))).kind).toBe('invalid_argument');
    expect((await rejection(store.setPassword('', 'a', 'x'))).kind).toBe('invalid_argument');
    expect((await rejection(store.setPassword('mandate', 'a', ''))).kind).toBe('invalid_argument');
    expect((await rejection(store.getPassword('mandate', ''))).kind).toBe('invalid_argument');
    expect((await rejection(store.findCredentials(''))).kind).toBe('invalid_argument');
  });

  it('treats an account named __proto__ as plain data', async () => {
    const home = await tempHome();
    await (await open(home)).setPassword('__proto__', '__proto__', 'p');
    const reopened = await open(home);
    expect(await reopened.getPassword('__proto__', '__proto__')).toBe('p');
    expect(await reopened.findCredentials('__proto__')).toEqual([{ account: '__proto__', password: 'p' }]);
  });
});
