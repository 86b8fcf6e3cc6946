// The encrypted-file backend, for machines where no OS keychain answers (headless servers, CI).
// Secrets live in <home>/secrets.enc, AES-256-GCM with a fresh random 96-bit IV on every write,
// written atomically (temp file + rename) with mode 0600. The 32-byte key lives apart, in
// <home>/keys/secrets.key (mode 0600, directory 0700).
// What this protects against: secrets.enc copied or leaked ALONE (a backup, a synced folder, a
// file attached to a bug report) reveals nothing, and any edit to it is detected. What it does
// NOT protect against: anyone who can read both files, i.e. the same user or local root. That
// is what an OS keychain adds, which is why the keychains are tried first.
// Every operation re-reads the file, so the server sees what the CLI wrote a moment ago.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { checkNames, checkService, checkValue, SecretStoreError } from './store.js';
import type { Credential, SecretStore } from './store.js';

/** Where the file backend keeps its two files under a state directory. */
export function secretFilePaths(home: string): { secrets: string; keyDir: string; key: string } {
  const keyDir = join(home, 'keys');
  return { secrets: join(home, 'secrets.enc'), keyDir, key: join(keyDir, 'secrets.key') };
}

export interface FileSecretStoreOptions {
  /** The state directory (`MANDATE_HOME`). */
  home: string;
  service: string;
  /** Why this backend rather than a keychain, in plain words. */
  reason: string | undefined;
  logger?: Logger | undefined;
}

// secrets.enc = MAGIC | IV (12) | GCM tag (16) | ciphertext of the JSON below. MAGIC is also the
// AAD, so a file of another format version cannot be passed off as this one.
const MAGIC = Buffer.from('MANDSEC1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

// Entries are triples, never objects keyed by name, so an account called `__proto__` is just data.
const Contents = z.object({ v: z.literal(1), entries: z.array(z.tuple([z.string(), z.string(), z.string()])) });

type Entries = Map<string, Map<string, string>>;

/** Opens (creating the key on first use) the encrypted-file secret store; fails early on a wrong key. */
export async function openFileSecretStore(opts: FileSecretStoreOptions): Promise<SecretStore> {
  const paths = secretFilePaths(opts.home);
  await mkdir(opts.home, { recursive: true, mode: 0o700 });
  await mkdir(paths.keyDir, { recursive: true, mode: 0o700 });
  await chmod(paths.keyDir, 0o700);
  const key = await loadOrCreateKey(paths, opts.logger);
  await readEntries(paths, key); // a wrong key or a damaged file is reported now, not at the first secret

  // Writes from this process queue behind each other, so concurrent sets cannot lose one another.
  let queue: Promise<unknown> = Promise.resolve();
  const mutate = <T>(change: (entries: Entries) => T): Promise<T> => {
    const run = queue.then(async () => {
      const entries = await readEntries(paths, key);
      const result = change(entries);
      await writeEntries(paths, key, entries);
      return result;
    });
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    backend: 'file',
    service: opts.service,
    reason: opts.reason,
    location: paths.secrets,
    async getPassword(service, account) {
      checkNames(service, account);
      return (await readEntries(paths, key)).get(service)?.get(account) ?? null;
    },
    async setPassword(service, account, password) {
      checkValue(service, account, password);
      await mutate((entries) => {
        const accounts = entries.get(service) ?? new Map<string, string>();
        accounts.set(account, password);
        entries.set(service, accounts);
      });
    },
    async deletePassword(service, account) {
      checkNames(service, account);
      if (!(await readEntries(paths, key)).get(service)?.has(account)) return false;
      return mutate((entries) => entries.get(service)?.delete(account) ?? false);
    },
    async findCredentials(service): Promise<Credential[]> {
      checkService(service);
      const accounts = (await readEntries(paths, key)).get(service) ?? new Map<string, string>();
      return [...accounts].map(([account, password]) => ({ account, password }));
    },
  };
}

async function loadOrCreateKey(paths: ReturnType<typeof secretFilePaths>, logger: Logger | undefined): Promise<Buffer> {
  let key: Buffer;
  try {
    key = await readFile(paths.key);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    if (await exists(paths.secrets)) {
      throw new SecretStoreError(
        'key_missing',
        `The secrets file ${paths.secrets} exists but its key file ${paths.key} is missing, so it cannot be read. ` +
          'Restore the key file, or move secrets.enc aside to start with no secrets.',
      );
    }
    key = await createKey(paths.key);
  }
  if (key.length !== KEY_BYTES) {
    throw new SecretStoreError('key_invalid', `The key file ${paths.key} is not a secrets key (it must hold exactly ${KEY_BYTES} bytes).`);
  }
  const mode = (await stat(paths.key)).mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    logger?.warn({ path: paths.key }, 'the secrets key file is readable by other users; run chmod 600 on it');
  }
  return key;
}

/** Writes a new random key without ever exposing a half-written file: temp, then link (fails if another process won). */
async function createKey(path: string): Promise<Buffer> {
  const key = randomBytes(KEY_BYTES);
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeDurably(tmp, key);
  try {
    await link(tmp, path);
    return key;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
    return readFile(path); // another process created it first; use theirs
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function readEntries(paths: ReturnType<typeof secretFilePaths>, key: Buffer): Promise<Entries> {
  let blob: Buffer;
  try {
    blob = await readFile(paths.secrets);
  } catch (err) {
    if (isNotFound(err)) return new Map();
    throw err;
  }
  const corrupt = () =>
    new SecretStoreError('file_corrupt', `${paths.secrets} is not a Mandate secrets file (or it is truncated).`);
  if (blob.length < MAGIC.length + IV_BYTES + TAG_BYTES || !blob.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt();
  const iv = blob.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
  const tag = blob.subarray(MAGIC.length + IV_BYTES, MAGIC.length + IV_BYTES + TAG_BYTES);
  const body = blob.subarray(MAGIC.length + IV_BYTES + TAG_BYTES);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(MAGIC);
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (cause) {
    throw new SecretStoreError(
      'key_mismatch',
      `The secrets file ${paths.secrets} cannot be decrypted with the key in ${paths.key}: ` +
        'the key file is not the one it was written with, or the file was altered. ' +
        'Restore the matching key file, or move secrets.enc aside to start with no secrets.',
      { cause },
    );
  }
  let parsed: z.infer<typeof Contents>;
  try {
    parsed = Contents.parse(JSON.parse(plain.toString('utf8')));
  } catch {
    throw corrupt(); // no cause attached: it could quote decrypted content
  }
  const entries: Entries = new Map();
  for (const [service, account, password] of parsed.entries) {
    const accounts = entries.get(service) ?? new Map<string, string>();
    accounts.set(account, password);
    entries.set(service, accounts);
  }
  return entries;
}

async function writeEntries(paths: ReturnType<typeof secretFilePaths>, key: Buffer, entries: Entries): Promise<void> {
  const triples: [string, string, string][] = [];
  for (const [service, accounts] of entries) for (const [account, password] of accounts) triples.push([service, account, password]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(MAGIC);
  const body = Buffer.concat([cipher.update(JSON.stringify({ v: 1, entries: triples }), 'utf8'), cipher.final()]);
  const blob = Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
  const tmp = `${paths.secrets}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeDurably(tmp, blob);
    await rename(tmp, paths.secrets);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(paths.secrets));
}

/** Creates `path` (it must not exist) with mode 0600 and flushes it to disk. */
async function writeDurably(path: string, data: Buffer): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.chmod(0o600); // exact mode whatever the umask
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename durable; directories cannot be opened for sync on every platform, which is fine. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // best effort
  }
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT';
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
