// Signed checkpoints of the audit chain: a compact JWS (EdDSA, Ed25519) over the head's
// `seq`, `hash` and the time it was taken. Kept outside the store, one later proves the
// trail was neither truncated nor rewritten up to that point, even by someone who could
// edit the store's own checkpoint. The signing key lives in `<home>/keys/audit-key.json`.
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CompactSign, calculateJwkThumbprint, compactVerify, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK, KeyObject } from 'jose';
import { z } from 'zod';
import { canonicalJson } from './canonical.js';

/** The `typ` header of a checkpoint JWS. */
export const CHECKPOINT_TYP = 'mandate-audit-checkpoint+jws';
const ALG = 'EdDSA';

/** What a checkpoint asserts: the chain's record `seq` had hash `hash` at time `ts` (ISO). */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  ts: string;
}

/** The checkpoint signing key pair. `kid` is the public key's JWK thumbprint. */
export interface AuditKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/** Thrown when a checkpoint JWS is malformed, not signed by the key, or not a checkpoint. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

const payloadSchema = z.strictObject({
  seq: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  ts: z.iso.datetime(),
});

/** Signs a checkpoint as a compact JWS. */
export async function signCheckpoint(checkpoint: AuditCheckpoint, key: Pick<AuditKey, 'privateKey'> & { kid?: string }): Promise<string> {
  const payload = payloadSchema.parse(checkpoint);
  return new CompactSign(new TextEncoder().encode(canonicalJson(payload)))
    .setProtectedHeader({ alg: ALG, typ: CHECKPOINT_TYP, ...(key.kid ? { kid: key.kid } : {}) })
    .sign(key.privateKey);
}

/** Verifies a checkpoint JWS against the public key and returns what it asserts; throws `CheckpointError` otherwise. */
export async function verifyCheckpointJws(jws: string, publicKey: CryptoKey | KeyObject | JWK): Promise<AuditCheckpoint> {
  const key = isJwk(publicKey) ? await importJWK(publicKey, ALG) : publicKey;
  let result;
  try {
    result = await compactVerify(jws.trim(), key, { algorithms: [ALG] });
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new CheckpointError(
      code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
        ? 'the checkpoint signature does not verify with the audit key'
        : 'the checkpoint is not a valid compact JWS signed with EdDSA',
    );
  }
  if (result.protectedHeader.typ !== CHECKPOINT_TYP) throw new CheckpointError(`the JWS is not an audit checkpoint (typ must be ${CHECKPOINT_TYP})`);
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(result.payload));
  } catch {
    throw new CheckpointError('the checkpoint payload is not JSON');
  }
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) throw new CheckpointError('the checkpoint payload must hold seq, hash and ts');
  return parsed.data;
}

function isJwk(k: unknown): k is JWK {
  return typeof k === 'object' && k !== null && typeof (k as { kty?: unknown }).kty === 'string';
}

/** Where the audit signing key is kept. */
export function auditKeyPath(home: string): string {
  return join(home, 'keys', 'audit-key.json');
}

/** Loads the audit signing key, or null when none was created yet. */
export async function loadAuditKey(home: string): Promise<AuditKey | null> {
  try {
    return await importAuditKey(await readFile(auditKeyPath(home), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Loads the audit signing key from `<home>/keys/audit-key.json`, creating it (mode 0600, in a
 * 0700 directory) on first use. Two processes creating it at once end up with the same key:
 * the file appears atomically (hard link), and the loser reads the winner's.
 */
export async function loadOrCreateAuditKey(home: string): Promise<AuditKey> {
  const existing = await loadAuditKey(home);
  if (existing) return existing;
  const path = auditKeyPath(home);
  await mkdir(join(home, 'keys'), { recursive: true, mode: 0o700 });
  const { privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  const { d: _d, ...pub } = jwk;
  jwk.kid = await calculateJwkThumbprint(pub);
  jwk.alg = ALG;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(jwk, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return importAuditKey(await readFile(path, 'utf8'));
}

async function importAuditKey(text: string): Promise<AuditKey> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new CheckpointError('the audit key file is not JSON');
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || typeof jwk.x !== 'string') {
    throw new CheckpointError('the audit key file does not hold an Ed25519 private JWK');
  }
  const { d: _d, ...pub } = jwk;
  const publicJwk: JWK = { kty: pub.kty, crv: pub.crv, x: pub.x, alg: ALG, kid: jwk.kid ?? (await calculateJwkThumbprint(pub)) };
  return {
    kid: publicJwk.kid!,
    privateKey: (await importJWK(jwk, ALG)) as CryptoKey,
    publicKey: (await importJWK(publicJwk, ALG)) as CryptoKey,
    publicJwk,
  };
}
