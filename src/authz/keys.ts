// The authorization server's signing keys: an ES256 private JWKS created on first start in
// `<home>/keys/authz-jwks.json` (mode 0600) and reused after. The first key signs; rotation
// puts a new key first and keeps the previous ones published, so tokens in flight still verify.
import { mkdir, readFile, rename, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { z } from 'zod';

/** The one signature algorithm the embedded server uses and its verifiers accept. */
export const SIGNING_ALG = 'ES256';

/** How many keys stay published after rotations (the current one plus the previous ones). */
const KEEP_KEYS = 3;

const PrivateEcJwk = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().min(1),
  y: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
  alg: z.literal(SIGNING_ALG),
  use: z.literal('sig'),
});
type PrivateEcJwk = z.infer<typeof PrivateEcJwk>;

const KeyFile = z.object({ keys: z.array(PrivateEcJwk).min(1) });

/** A public JWKS as served at `jwks_uri`. */
export interface PublicJwks {
  keys: JWK[];
}

/** The signing key in use. */
export interface CurrentKey {
  kid: string;
  alg: typeof SIGNING_ALG;
  privateKey: CryptoKey;
}

/** The key ring of one authorization server. */
export interface KeyRing {
  /** Where the keys are kept (a file, or the shared store). */
  readonly file: string;
  /** The private JWKS, current key first (only for the provider's configuration). */
  privateJwks(): { keys: JWK[] };
  publicJwks(): PublicJwks;
  current(): Promise<CurrentKey>;
  /** Adds a new current key, keeps the previous ones published, and saves the file. */
  rotate(): Promise<void>;
  /** Reads the keys again where they are shared; true when they changed (another instance rotated). */
  refresh(): Promise<boolean>;
}

/** Creates a new ES256 signing key. */
export async function newKey(): Promise<PrivateEcJwk> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! });
  return PrivateEcJwk.parse({ ...jwk, kid, alg: SIGNING_ALG, use: 'sig' });
}

async function save(file: string, keys: PrivateEcJwk[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ keys }, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** Checks a key file's (or stored document's) keys; the message names `where`. */
export function parseKeys(parsed: unknown, where: string): PrivateEcJwk[] {
  const result = KeyFile.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${where}: ${issue ? `${issue.path.join('.') || '(root)'} ${issue.message}` : 'invalid key file'}`);
  }
  return result.data.keys;
}

/** The private key as a signing key. */
export async function importCurrent(k: PrivateEcJwk): Promise<CurrentKey> {
  return { kid: k.kid, alg: SIGNING_ALG, privateKey: (await importJWK(k, SIGNING_ALG)) as CryptoKey };
}

export type { PrivateEcJwk };

/** The public half of a key, as published. */
export const toPublic = ({ kty, crv, x, y, kid, alg, use }: PrivateEcJwk): JWK => ({ kty, crv, x, y, kid, alg, use });

/** Loads the key ring from `<home>/keys/authz-jwks.json`, creating it on first start. */
export async function loadKeyRing(home: string): Promise<KeyRing> {
  const file = path.join(home, 'keys', 'authz-jwks.json');
  let keys: PrivateEcJwk[];
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    keys = [await newKey()];
    await save(file, keys);
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${file} is not valid JSON; move it away to have a new signing key created`);
    }
    keys = parseKeys(parsed, file);
  }

  let current: Promise<CurrentKey> | undefined;

  return {
    file,
    privateJwks: () => ({ keys: keys.map((k) => ({ ...k })) }),
    publicJwks: () => ({ keys: keys.map(toPublic) }),
    current: () => (current ??= importCurrent(keys[0]!)),
    async rotate() {
      const next = [await newKey(), ...keys].slice(0, KEEP_KEYS);
      await save(file, next);
      keys = next;
      current = undefined;
    },
    refresh: async () => false,
  };
}
